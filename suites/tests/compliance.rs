//! The compliance matrix: one test per backend x interface x case of `registry/backends/*.yaml`,
//! named `<backend>::<interface>::<case>`.
prism_suite::compliance_matrix!();
