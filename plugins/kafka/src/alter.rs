//! IncrementalAlterConfigs for one topic, through librdkafka's C API.
//!
//! The rdkafka crate wraps only the legacy AlterConfigs request, which replaces a topic's whole
//! configuration and which nisshi does not serve (it answers IncrementalAlterConfigs, as Kafka has
//! since 2.3). librdkafka has `rd_kafka_IncrementalAlterConfigs`; this module is the small, safe
//! wrapper around it that the plugin needs: set or delete named configs of a topic and wait for
//! the broker's answer. It blocks the calling thread (call it from `spawn_blocking`).

use std::ffi::{c_char, CStr, CString};
use std::ptr;
use std::time::Duration;

use rdkafka::client::Client;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::ClientContext;
use rdkafka_sys as sys;

/// One change of a topic config.
#[derive(Clone, Copy, Debug)]
pub enum ConfigOp<'a> {
    /// Set `name` to `value`.
    Set(&'a str, &'a str),
    /// Remove `name`, back to the broker's default.
    Delete(&'a str),
}

/// Why an IncrementalAlterConfigs failed.
#[derive(Debug, thiserror::Error)]
pub enum AlterError {
    /// A topic or config name or value holds a NUL byte.
    #[error("{0:?} holds a NUL byte")]
    Nul(String),
    /// The broker did not answer in time.
    #[error("IncrementalAlterConfigs got no answer within {0:?}")]
    Timeout(Duration),
    /// librdkafka or the broker refused the request.
    #[error("IncrementalAlterConfigs of topic {topic}: {code}: {message}")]
    Refused {
        /// The topic altered.
        topic: String,
        /// The error code.
        code: RDKafkaErrorCode,
        /// What librdkafka or the broker said.
        message: String,
    },
}

fn cstring(s: &str) -> Result<CString, AlterError> {
    CString::new(s).map_err(|_| AlterError::Nul(s.to_owned()))
}

/// # Safety
/// `p` is null or a NUL-terminated string that outlives the call.
unsafe fn text(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// Owns the librdkafka objects of one request, destroyed in every outcome.
struct Request {
    queue: *mut sys::rd_kafka_queue_t,
    options: *mut sys::rd_kafka_AdminOptions_t,
    resource: *mut sys::rd_kafka_ConfigResource_t,
    event: *mut sys::rd_kafka_event_t,
}

impl Drop for Request {
    fn drop(&mut self) {
        // SAFETY: each pointer is null or was created by librdkafka for this request and not
        // destroyed elsewhere; librdkafka copies the resource when the request is sent.
        unsafe {
            if !self.event.is_null() {
                sys::rd_kafka_event_destroy(self.event);
            }
            if !self.resource.is_null() {
                sys::rd_kafka_ConfigResource_destroy(self.resource);
            }
            if !self.options.is_null() {
                sys::rd_kafka_AdminOptions_destroy(self.options);
            }
            if !self.queue.is_null() {
                sys::rd_kafka_queue_destroy(self.queue);
            }
        }
    }
}

/// Applies `ops` to the configs of `topic` with one IncrementalAlterConfigs request, waiting up to
/// `timeout` for the broker's answer.
pub fn alter_topic<C: ClientContext>(
    client: &Client<C>,
    topic: &str,
    ops: &[ConfigOp<'_>],
    timeout: Duration,
) -> Result<(), AlterError> {
    let refused = |code: sys::rd_kafka_resp_err_t, message: String| AlterError::Refused {
        topic: topic.to_owned(),
        code: code.into(),
        message,
    };
    let name = cstring(topic)?;
    let owned: Vec<(CString, Option<CString>)> = ops
        .iter()
        .map(|op| match op {
            ConfigOp::Set(k, v) => Ok((cstring(k)?, Some(cstring(v)?))),
            ConfigOp::Delete(k) => Ok((cstring(k)?, None)),
        })
        .collect::<Result<_, AlterError>>()?;
    let rk = client.native_ptr();
    let timeout_ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: `rk` is the live client borrowed for this call; every object created here is owned
    // by `req` and destroyed when it drops; strings passed in outlive the calls that read them.
    unsafe {
        let mut req = Request {
            queue: sys::rd_kafka_queue_new(rk),
            options: sys::rd_kafka_AdminOptions_new(
                rk,
                sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS,
            ),
            resource: sys::rd_kafka_ConfigResource_new(
                sys::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_TOPIC,
                name.as_ptr(),
            ),
            event: ptr::null_mut(),
        };
        let mut errstr = [0 as c_char; 512];
        let set = sys::rd_kafka_AdminOptions_set_request_timeout(
            req.options,
            timeout_ms,
            errstr.as_mut_ptr(),
            errstr.len(),
        );
        if set != sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Err(refused(set, text(errstr.as_ptr())));
        }
        for (key, value) in &owned {
            let (op, value) = match value {
                Some(v) => (
                    sys::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET,
                    v.as_ptr(),
                ),
                None => (
                    sys::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE,
                    ptr::null(),
                ),
            };
            let error = sys::rd_kafka_ConfigResource_add_incremental_config(
                req.resource,
                key.as_ptr(),
                op,
                value,
            );
            if !error.is_null() {
                let code = sys::rd_kafka_error_code(error);
                let message = text(sys::rd_kafka_error_string(error));
                sys::rd_kafka_error_destroy(error);
                return Err(refused(code, message));
            }
        }
        let mut resources = [req.resource];
        sys::rd_kafka_IncrementalAlterConfigs(
            rk,
            resources.as_mut_ptr(),
            resources.len(),
            req.options,
            req.queue,
        );
        req.event = sys::rd_kafka_queue_poll(req.queue, timeout_ms.saturating_add(1000));
        if req.event.is_null() {
            return Err(AlterError::Timeout(timeout));
        }
        let code = sys::rd_kafka_event_error(req.event);
        if code != sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Err(refused(
                code,
                text(sys::rd_kafka_event_error_string(req.event)),
            ));
        }
        let result = sys::rd_kafka_event_IncrementalAlterConfigs_result(req.event);
        if result.is_null() {
            return Err(refused(
                sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__BAD_MSG,
                "the answer was not an IncrementalAlterConfigs result".into(),
            ));
        }
        let mut count = 0usize;
        let answered = sys::rd_kafka_IncrementalAlterConfigs_result_resources(result, &mut count);
        for i in 0..count {
            let resource = *answered.add(i);
            let code = sys::rd_kafka_ConfigResource_error(resource);
            if code != sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                return Err(refused(
                    code,
                    text(sys::rd_kafka_ConfigResource_error_string(resource)),
                ));
            }
        }
        Ok(())
    }
}
