//! Probes a Kafka-API broker for every API the prism-kafka plugin relies on, with the client the
//! plugin uses (rdkafka, bundled librdkafka), and prints one Markdown table row per API.
//!
//! ```sh
//! cargo run -p prism-kafka --example probe -- 127.0.0.1:9092 memory
//! ```
//!
//! The second argument only labels the rows (the storage the broker was started with). Each probe
//! uses topics and groups of its own (suffixed with the process id), so it can run against a
//! broker that already holds data. Exit status 1 when any probe failed.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::admin::{
    AdminClient, AdminOptions, NewPartitions, NewTopic, ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use prism_kafka::alter::{alter_topic, ConfigOp};

const WAIT: Duration = Duration::from_secs(10);

type Probe = Result<String, String>;

struct Broker {
    url: String,
    tag: String,
    admin: AdminClient<DefaultClientContext>,
    producer: FutureProducer,
}

fn config(url: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", url)
        .set("broker.address.family", "v4")
        .set("socket.nagle.disable", "true");
    c
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl Broker {
    fn topic(&self, what: &str) -> String {
        format!("probe-{what}-{}-{}", self.tag, std::process::id())
    }

    async fn create(&self, topic: &str, partitions: i32, configs: &[(&str, &str)]) -> Probe {
        let mut new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
        for (k, v) in configs {
            new = new.set(k, v);
        }
        let got = self
            .admin
            .create_topics([&new], &AdminOptions::new())
            .await
            .map_err(err)?;
        match got.into_iter().next() {
            Some(Ok(_)) => Ok(format!("created {topic}")),
            Some(Err((_, code))) => Err(format!("CreateTopics {topic}: {code}")),
            None => Err("CreateTopics answered nothing".into()),
        }
    }

    async fn produce(&self, topic: &str, payload: &str) -> Result<(i32, i64, Option<i64>), String> {
        let record = FutureRecord::<(), _>::to(topic)
            .payload(payload)
            .partition(0);
        let d = self
            .producer
            .send(record, WAIT)
            .await
            .map_err(|(e, _)| err(e))?;
        Ok((d.partition, d.offset, d.timestamp.to_millis()))
    }

    fn consumer(&self, extra: &[(&str, &str)]) -> Result<BaseConsumer, String> {
        let mut c = config(&self.url);
        c.set("group.id", format!("probe-reader-{}", std::process::id()))
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "error")
            .set("fetch.wait.max.ms", "500");
        for (k, v) in extra {
            c.set(*k, *v);
        }
        c.create().map_err(err)
    }
}

/// Reads `n` records of partition 0 of `topic` from `offset` with a fresh consumer; the offsets
/// and payloads read, or the error the fetch reported.
fn read(b: &Broker, topic: &str, offset: i64, n: usize) -> Result<Vec<(i64, String)>, KafkaError> {
    let consumer = b
        .consumer(&[])
        .map_err(|_| KafkaError::ClientCreation("consumer".into()))?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Offset(offset))?;
    consumer.assign(&tpl)?;
    let deadline = Instant::now() + WAIT;
    let mut got = Vec::new();
    while got.len() < n && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => got.push((
                m.offset(),
                String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned(),
            )),
            Some(Err(e)) => return Err(e),
            None => {}
        }
    }
    Ok(got)
}

fn expect_records(got: &[(i64, String)], from: i64, to: i64) -> Probe {
    let want: Vec<i64> = (from..to).collect();
    let offsets: Vec<i64> = got.iter().map(|(o, _)| *o).collect();
    if offsets == want && got.iter().all(|(o, p)| *p == format!("r{o}")) {
        Ok(format!("offsets {from}..{to} with their payloads"))
    } else {
        Err(format!("wanted offsets {from}..{to}, got {got:?}"))
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

async fn produce_n(b: &Broker, topic: &str, from: i64, to: i64) -> Result<Vec<i64>, String> {
    let mut stamps = Vec::new();
    for i in from..to {
        let (_, offset, ts) = b.produce(topic, &format!("r{i}")).await?;
        if offset != i {
            return Err(format!("record {i} got offset {offset}"));
        }
        stamps.push(ts.unwrap_or(-1));
    }
    Ok(stamps)
}

async fn probe_produce(b: &Broker) -> Probe {
    let topic = b.topic("produce");
    b.create(&topic, 1, &[("message.timestamp.type", "LogAppendTime")])
        .await?;
    let before = now_ms();
    let started = Instant::now();
    let stamps = produce_n(b, &topic, 0, 300).await?;
    let took = started.elapsed();
    let monotonic = stamps.windows(2).all(|w| w[0] <= w[1]);
    if !monotonic || (stamps[0] - before).abs() > 5_000 {
        return Err(format!("timestamps {stamps:?} (now {before})"));
    }
    Ok(format!(
        "offsets 0..300, LogAppendTime timestamps in the delivery report; 300 produces one \
         after the other in {} ms",
        took.as_millis()
    ))
}

async fn probe_fetch(b: &Broker) -> Probe {
    let topic = b.topic("fetch");
    b.create(&topic, 1, &[]).await?;
    // One batch of 10 records (sent without waiting), then fetches that start inside it.
    let futures: Vec<_> = (0..10)
        .map(|i| {
            let payload = format!("r{i}");
            let record = FutureRecord::<(), _>::to(&topic)
                .payload(&payload)
                .partition(0);
            b.producer.send_result(record).map_err(|(e, _)| err(e))
        })
        .collect::<Result<_, _>>()?;
    for f in futures {
        f.await.map_err(err)?.map_err(|(e, _)| err(e))?;
    }
    expect_records(&read(b, &topic, 0, 10).map_err(err)?, 0, 10)?;
    expect_records(&read(b, &topic, 5, 5).map_err(err)?, 5, 10)?;
    expect_records(&read(b, &topic, 9, 1).map_err(err)?, 9, 10)?;
    Ok("from 0, and resumed inside a 10-record batch at 5 and 9: nothing skipped".into())
}

async fn probe_latency(b: &Broker) -> Probe {
    let topic = b.topic("latency");
    b.create(&topic, 1, &[]).await?;
    produce_n(b, &topic, 0, 1).await?;
    let consumer = b.consumer(&[("fetch.wait.max.ms", "100")])?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&topic, 0, Offset::Offset(1))
        .map_err(err)?;
    consumer.assign(&tpl).map_err(err)?;
    // Let the first fetch reach the broker and wait there.
    let _ = consumer.poll(Duration::from_millis(300));
    let mut worst = Duration::ZERO;
    for i in 1..6 {
        let sent = Instant::now();
        b.produce(&topic, &format!("r{i}")).await?;
        loop {
            match consumer.poll(Duration::from_millis(50)) {
                Some(Ok(m)) if m.offset() == i => break,
                Some(Err(e)) => return Err(err(e)),
                _ if sent.elapsed() > WAIT => return Err(format!("record {i} never arrived")),
                _ => {}
            }
        }
        worst = worst.max(sent.elapsed());
    }
    Ok(format!(
        "a waiting fetch answers a produce within {} ms (fetch.wait.max.ms 100)",
        worst.as_millis()
    ))
}

async fn probe_list_offsets(b: &Broker) -> Probe {
    let topic = b.topic("offsets");
    b.create(&topic, 1, &[("message.timestamp.type", "LogAppendTime")])
        .await?;
    let consumer = b.consumer(&[])?;
    let empty = consumer.fetch_watermarks(&topic, 0, WAIT).map_err(err)?;
    let mut stamps = produce_n(b, &topic, 0, 3).await?;
    tokio::time::sleep(Duration::from_millis(30)).await;
    stamps.extend(produce_n(b, &topic, 3, 6).await?);
    let marks = consumer.fetch_watermarks(&topic, 0, WAIT).map_err(err)?;
    let at = |ts: i64| -> Result<Offset, String> {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&topic, 0, Offset::Offset(ts))
            .map_err(err)?;
        let got = consumer.offsets_for_times(tpl, WAIT).map_err(err)?;
        let elems = got.elements();
        let e = elems.first().ok_or("no partition answered")?;
        e.error().map_err(err)?;
        Ok(e.offset())
    };
    let by_ts = (
        at(stamps[3])?,
        at(stamps[2] + 1)?,
        at(0)?,
        at(now_ms() + 60_000)?,
    );
    let want = (
        Offset::Offset(3),
        Offset::Offset(3),
        Offset::Offset(0),
        Offset::End,
    );
    if empty != (0, 0) || marks != (0, 6) || by_ts != want {
        return Err(format!(
            "watermarks empty {empty:?}, after 6 {marks:?}; by timestamp {by_ts:?} (want {want:?})"
        ));
    }
    Ok(
        "earliest/latest (0, 0) then (0, 6); by timestamp: first at or after, End past the last"
            .into(),
    )
}

/// Each produce's offset is below the high watermark that ListOffsets answers right after.
async fn probe_fresh_watermark(b: &Broker) -> Probe {
    let topic = b.topic("fresh");
    b.create(&topic, 1, &[]).await?;
    let consumer = b.consumer(&[])?;
    let mut stale = Vec::new();
    for i in 0..200 {
        let (_, offset, _) = b.produce(&topic, &format!("r{i}")).await?;
        let (_, high) = consumer.fetch_watermarks(&topic, 0, WAIT).map_err(err)?;
        if high <= offset {
            stale.push((offset, high));
        }
    }
    if stale.is_empty() {
        Ok("200 produces: ListOffsets latest right after each one is past it".into())
    } else {
        Err(format!(
            "{} of 200 produces: ListOffsets latest right after it was stale, (offset, high) {:?}",
            stale.len(),
            &stale[..stale.len().min(5)]
        ))
    }
}

/// Metadata and ListOffsets of a topic that does not exist.
async fn probe_missing_topic(b: &Broker) -> Probe {
    let topic = b.topic("missing");
    let consumer = b.consumer(&[])?;
    let md = consumer.fetch_metadata(Some(&topic), WAIT).map_err(err)?;
    let listed: Vec<String> = md
        .topics()
        .iter()
        .map(|t| {
            format!(
                "{} error {:?} partitions {}",
                t.name(),
                t.error(),
                t.partitions().len()
            )
        })
        .collect();
    let marks = consumer.fetch_watermarks(&topic, 0, WAIT);
    match (&listed[..], &marks) {
        ([one], Err(_))
            if one.contains("UnknownTopicOrPartition") || one.contains("partitions 0") =>
        {
            Ok(format!("Metadata: {one}; ListOffsets: {marks:?}"))
        }
        _ => Err(format!("Metadata: {listed:?}; ListOffsets: {marks:?}")),
    }
}

async fn probe_delete_records(b: &Broker) -> Probe {
    let topic = b.topic("delete");
    b.create(&topic, 1, &[]).await?;
    produce_n(b, &topic, 0, 10).await?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&topic, 0, Offset::Offset(4))
        .map_err(err)?;
    let got = b
        .admin
        .delete_records(&tpl, &AdminOptions::new())
        .await
        .map_err(err)?;
    for e in got.elements() {
        e.error().map_err(|e| format!("DeleteRecords: {e}"))?;
    }
    let consumer = b.consumer(&[])?;
    let marks = consumer.fetch_watermarks(&topic, 0, WAIT).map_err(err)?;
    if marks != (4, 10) {
        return Err(format!("watermarks after DeleteRecords(4): {marks:?}"));
    }
    expect_records(&read(b, &topic, 4, 6).map_err(err)?, 4, 10)?;
    produce_n(b, &topic, 10, 11).await?;
    Ok("low watermark 4, records 4..10 read as before, next produce at 10".into())
}

async fn probe_out_of_range(b: &Broker) -> Probe {
    let topic = b.topic("range");
    b.create(&topic, 1, &[]).await?;
    produce_n(b, &topic, 0, 6).await?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&topic, 0, Offset::Offset(3))
        .map_err(err)?;
    b.admin
        .delete_records(&tpl, &AdminOptions::new())
        .await
        .map_err(err)?;
    let below = read(b, &topic, 1, 1);
    let beyond = read(b, &topic, 9, 1);
    // With auto.offset.reset=error librdkafka reports the broker's OFFSET_OUT_OF_RANGE as
    // "no offset to automatically reset to".
    let is_oor = |r: &Result<Vec<(i64, String)>, KafkaError>| {
        matches!(r, Err(e) if matches!(
            e.rdkafka_error_code(),
            Some(RDKafkaErrorCode::OffsetOutOfRange | RDKafkaErrorCode::AutoOffsetReset)
        ))
    };
    match (is_oor(&below), is_oor(&beyond)) {
        (true, true) => {
            Ok("fetch below the log start and beyond the end: OFFSET_OUT_OF_RANGE".into())
        }
        (true, false) => Ok(format!(
            "below the log start: OFFSET_OUT_OF_RANGE; beyond the end the fetch waits and \
             answers no records ({beyond:?}), where Kafka answers OFFSET_OUT_OF_RANGE"
        )),
        _ => Err(format!(
            "below the log start: {below:?}; beyond the end: {beyond:?}"
        )),
    }
}

async fn describe(b: &Broker, topic: &str) -> Result<Vec<(String, String, String)>, String> {
    let got = b
        .admin
        .describe_configs([&ResourceSpecifier::Topic(topic)], &AdminOptions::new())
        .await
        .map_err(err)?;
    let resource = got
        .into_iter()
        .next()
        .ok_or("DescribeConfigs answered nothing")?
        .map_err(err)?;
    Ok(resource
        .entries
        .into_iter()
        .filter(|e| e.name.starts_with("retention") || e.name == "cleanup.policy")
        .map(|e| {
            (
                e.name,
                e.value.unwrap_or_default(),
                format!("{:?}", e.source),
            )
        })
        .collect())
}

async fn probe_configs(b: &Broker) -> Probe {
    let topic = b.topic("configs");
    b.create(
        &topic,
        1,
        &[("retention.ms", "60000"), ("cleanup.policy", "delete")],
    )
    .await?;
    let described = describe(b, &topic).await?;
    let has = |name: &str, value: &str| {
        described
            .iter()
            .any(|(n, v, s)| n == name && v == value && s == "DynamicTopic")
    };
    if !has("retention.ms", "60000") || !has("cleanup.policy", "delete") {
        return Err(format!("DescribeConfigs after CreateTopics: {described:?}"));
    }
    Ok(format!(
        "CreateTopics configs described back: {described:?}"
    ))
}

/// Sets `retention.ms`/`retention.bytes` on a topic at creation and watches the broker trim it on
/// its own schedule.
async fn probe_broker_retention(b: &Broker, config: &str, value: &str, policy: bool) -> Probe {
    let topic = b.topic(&format!("{}-{policy}", config.replace('.', "-")));
    let mut configs = vec![(config, value)];
    if policy {
        configs.push(("cleanup.policy", "delete"));
    }
    b.create(&topic, 1, &configs).await?;
    // 20 records of 100 bytes: 2 KB, ten times the size limit probed.
    for i in 0..20 {
        b.produce(&topic, &format!("{i:0>100}")).await?;
    }
    let consumer = b.consumer(&[])?;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(8) {
        let (low, high) = consumer.fetch_watermarks(&topic, 0, WAIT).map_err(err)?;
        if low > 0 {
            return Ok(format!(
                "{config}={value}{}: the broker trimmed to low watermark {low} of {high} within {} ms",
                if policy { ", cleanup.policy=delete" } else { " alone" },
                started.elapsed().as_millis()
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!(
        "{config}={value}: nothing trimmed within 8 s (low watermark still 0)"
    ))
}

async fn probe_alter_configs(b: &Broker) -> Probe {
    let topic = b.topic("alter");
    b.create(&topic, 1, &[]).await?;
    let admin = b.url.clone();
    let t = topic.clone();
    tokio::task::spawn_blocking(move || -> Result<(), String> {
        let client: AdminClient<DefaultClientContext> = config(&admin).create().map_err(err)?;
        alter_topic(
            client.inner(),
            &t,
            &[ConfigOp::Set("retention.ms", "12345")],
            WAIT,
        )
        .map_err(err)
    })
    .await
    .map_err(err)??;
    let described = describe(b, &topic).await?;
    if !described
        .iter()
        .any(|(n, v, s)| n == "retention.ms" && v == "12345" && s == "DynamicTopic")
    {
        return Err(format!("DescribeConfigs after the alter: {described:?}"));
    }
    let t = topic.clone();
    let admin = b.url.clone();
    tokio::task::spawn_blocking(move || -> Result<(), String> {
        let client: AdminClient<DefaultClientContext> = config(&admin).create().map_err(err)?;
        alter_topic(
            client.inner(),
            &t,
            &[ConfigOp::Delete("retention.ms")],
            WAIT,
        )
        .map_err(err)
    })
    .await
    .map_err(err)??;
    let after = describe(b, &topic).await?;
    if after
        .iter()
        .any(|(n, _, s)| n == "retention.ms" && s == "DynamicTopic")
    {
        return Err(format!(
            "DescribeConfigs after deleting retention.ms: {after:?}"
        ));
    }
    Ok("SET retention.ms described back as a topic config; DELETE reverts it".into())
}

async fn probe_create_partitions(b: &Broker) -> Probe {
    let topic = b.topic("partitions");
    b.create(&topic, 2, &[]).await?;
    let got = b
        .admin
        .create_partitions([&NewPartitions::new(&topic, 4)], &AdminOptions::new())
        .await
        .map_err(err)?;
    match got.into_iter().next() {
        Some(Ok(_)) => {}
        Some(Err((_, code))) => return Err(format!("CreatePartitions: {code}")),
        None => return Err("CreatePartitions answered nothing".into()),
    }
    let consumer = b.consumer(&[])?;
    let md = consumer.fetch_metadata(Some(&topic), WAIT).map_err(err)?;
    let count = md.topics().first().map_or(0, |t| t.partitions().len());
    if count == 4 {
        Ok("2 -> 4 partitions".into())
    } else {
        Err(format!("metadata lists {count} partitions after 2 -> 4"))
    }
}

async fn probe_transactions(b: &Broker) -> Probe {
    let topic = b.topic("txn");
    b.create(&topic, 1, &[]).await?;
    let producer: FutureProducer = config(&b.url)
        .set(
            "transactional.id",
            format!("probe-txn-{}", std::process::id()),
        )
        .create()
        .map_err(err)?;
    let url = topic.clone();
    tokio::task::spawn_blocking(move || -> Result<(), String> {
        producer.init_transactions(WAIT).map_err(err)?;
        producer.begin_transaction().map_err(err)?;
        let record = FutureRecord::<(), _>::to(&url).payload("t0").partition(0);
        producer.send_result(record).map_err(|(e, _)| err(e))?;
        producer.commit_transaction(WAIT).map_err(err)?;
        Ok(())
    })
    .await
    .map_err(err)??;
    Ok("InitProducerId, AddPartitionsToTxn, EndTxn (commit)".into())
}

// ---- consumer groups ----

/// What a group member's poll loop reports.
#[derive(Debug)]
enum Event {
    Assigned(String, Vec<i32>),
    Record(String, i64),
    Error(String),
}

struct Ctx {
    name: String,
    events: mpsc::Sender<Event>,
}

impl ClientContext for Ctx {}
impl ConsumerContext for Ctx {
    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(_) | Rebalance::Revoke(_) = rebalance {
            let owned = consumer
                .assignment()
                .map(|a| a.elements().iter().map(|e| e.partition()).collect())
                .unwrap_or_default();
            let _ = self.events.send(Event::Assigned(self.name.clone(), owned));
        }
    }
}

/// A group member polling on a thread of its own until `stop` is dropped.
fn member(
    b: &Broker,
    group: &str,
    topic: &str,
    name: &str,
    events: mpsc::Sender<Event>,
) -> Result<mpsc::Sender<()>, String> {
    let ctx = Ctx {
        name: name.into(),
        events: events.clone(),
    };
    let consumer: BaseConsumer<Ctx> = config(&b.url)
        .set("group.id", group)
        .set("client.id", name)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("partition.assignment.strategy", "cooperative-sticky")
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "100")
        // As the plugin: wakes librdkafka's main thread, which sends the heartbeats.
        .set("statistics.interval.ms", "100")
        .set("fetch.wait.max.ms", "100")
        .create_with_context(ctx)
        .map_err(err)?;
    consumer.subscribe(&[topic]).map_err(err)?;
    let (stop, stopped) = mpsc::channel::<()>();
    let name = name.to_owned();
    thread::spawn(move || {
        while let Err(mpsc::TryRecvError::Empty) = stopped.try_recv() {
            match consumer.poll(Duration::from_millis(20)) {
                Some(Ok(m)) => {
                    let _ = events.send(Event::Record(name.clone(), m.offset()));
                }
                Some(Err(e)) => {
                    let _ = events.send(Event::Error(format!("{name}: {e}")));
                }
                None => {}
            }
        }
        // Leaves the group (LeaveGroup) before the thread ends.
        consumer.unsubscribe();
        let _ = consumer.poll(Duration::from_millis(50));
        drop(consumer);
    });
    Ok(stop)
}

fn wait_for(
    events: &mpsc::Receiver<Event>,
    what: &str,
    mut done: impl FnMut(&Event) -> bool,
) -> Result<Duration, String> {
    let started = Instant::now();
    let mut seen = Vec::new();
    while started.elapsed() < WAIT {
        if let Ok(e) = events.recv_timeout(Duration::from_millis(50)) {
            if let Event::Error(message) = &e {
                return Err(format!("{what}: a member failed: {message}"));
            }
            if done(&e) {
                return Ok(started.elapsed());
            }
            seen.push(e);
        }
    }
    Err(format!("{what}: not within {WAIT:?}; events {seen:?}"))
}

fn commit(consumer: &BaseConsumer, topic: &str, offset: i64, metadata: &str) -> Result<(), String> {
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Offset(offset))
        .map_err(err)?;
    if let Some(mut e) = tpl.find_partition(topic, 0) {
        e.set_metadata(metadata);
    }
    consumer
        .commit(&tpl, CommitMode::Sync)
        .map_err(|e| format!("OffsetCommit: {e}"))
}

fn committed(consumer: &BaseConsumer, topic: &str) -> Result<Option<(Offset, String)>, String> {
    let mut ask = TopicPartitionList::new();
    ask.add_partition(topic, 0);
    let got = consumer.committed_offsets(ask, WAIT).map_err(err)?;
    Ok(got
        .find_partition(topic, 0)
        .map(|e| (e.offset(), e.metadata().to_owned())))
}

async fn probe_commit_metadata(b: &Broker) -> Probe {
    let topic = b.topic("metadata");
    b.create(&topic, 1, &[]).await?;
    let group = format!("{topic}-g");
    let client: BaseConsumer = b.consumer(&[("group.id", group.as_str())])?;
    commit(&client, &topic, 3, "acked=5,7")?;
    match committed(&client, &topic)? {
        Some((Offset::Offset(3), m)) if m == "acked=5,7" => {
            Ok("OffsetFetch answers the metadata committed with the offset".into())
        }
        other => Err(format!(
            "committed offset 3 with metadata \"acked=5,7\", OffsetFetch answered {other:?}"
        )),
    }
}

async fn probe_groups(b: &Broker) -> Probe {
    let topic = b.topic("group");
    let group = format!("{topic}-g");
    b.create(&topic, 1, &[]).await?;
    produce_n(b, &topic, 0, 4).await?;

    // A commit before any member joined (a standalone commit: generation -1).
    let standalone: BaseConsumer = b.consumer(&[("group.id", group.as_str())])?;
    commit(&standalone, &topic, 1, "")?;
    match committed(&standalone, &topic)? {
        Some((Offset::Offset(1), _)) => {}
        other => {
            return Err(format!(
                "OffsetFetch after the standalone commit: {other:?}"
            ))
        }
    }

    let (tx, events) = mpsc::channel();
    let stop_a = member(b, &group, &topic, "a", tx.clone())?;
    let join_a = wait_for(
        &events,
        "a assigned partition 0",
        |e| matches!(e, Event::Assigned(n, p) if n == "a" && p == &[0]),
    )?;
    // a starts at the committed offset 1.
    wait_for(&events, "a reads offset 1 first", |e| match e {
        Event::Record(n, o) if n == "a" => *o == 1,
        _ => false,
    })
    .map_err(|e| format!("{e} (committed offset 1)"))?;
    let stop_b = member(b, &group, &topic, "b", tx.clone())?;
    let join_b = wait_for(
        &events,
        "b joined (rebalance done)",
        |e| matches!(e, Event::Assigned(n, _) if n == "b"),
    )?;
    // A standalone commit while the group has members: Kafka refuses it (the group's generation).
    let while_members = match commit(&standalone, &topic, 1, "") {
        Ok(()) => "accepted".to_owned(),
        Err(e) => format!("refused ({e})"),
    };
    let list = standalone
        .fetch_group_list(Some(&group), WAIT)
        .map_err(err)?;
    let members: Vec<(String, String)> = list
        .groups()
        .iter()
        .flat_map(|g| {
            g.members()
                .iter()
                .map(|m| (m.id().to_owned(), m.client_id().to_owned()))
        })
        .collect();
    drop(stop_a);
    let handover = wait_for(
        &events,
        "b takes partition 0 after a left",
        |e| matches!(e, Event::Assigned(n, p) if n == "b" && p == &[0]),
    )?;
    wait_for(
        &events,
        "b reads from the committed offset 1",
        |e| match e {
            Event::Record(n, o) if n == "b" => *o == 1,
            _ => false,
        },
    )?;
    drop(stop_b);
    thread::sleep(Duration::from_millis(200));
    if members.len() != 2 {
        return Err(format!("DescribeGroups listed members {members:?}"));
    }
    let mut client_ids: Vec<&str> = members.iter().map(|(_, c)| c.as_str()).collect();
    client_ids.sort_unstable();
    let described = if client_ids == ["a", "b"] {
        "DescribeGroups lists both with their client ids".to_owned()
    } else {
        format!("DescribeGroups lists 2 members, client ids {client_ids:?} (Kafka: [\"a\", \"b\"])")
    };
    Ok(format!(
        "standalone commit; join {} ms; second member {} ms; {described}; \
         handover after LeaveGroup {} ms (cooperative-sticky, heartbeat 100 ms, statistics \
         timer 100 ms); standalone \
         commit while members are joined: {while_members}",
        join_a.as_millis(),
        join_b.as_millis(),
        handover.as_millis()
    ))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| "127.0.0.1:9092".into());
    let storage = args.next().unwrap_or_else(|| "?".into());
    let tag: String = storage
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let admin = match config(&url).create() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("probe: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let producer = match config(&url).set("linger.ms", "5").create() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("probe: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let b = Broker {
        url,
        tag,
        admin,
        producer,
    };
    let mut failed = 0;
    let mut row = |api: &str, result: Probe| {
        let (verdict, detail) = match result {
            Ok(d) => ("ok", d),
            Err(d) => {
                failed += 1;
                ("FAILS", d)
            }
        };
        println!("| {api} | {storage} | {verdict}: {detail} |");
    };
    row("Produce", probe_produce(&b).await);
    row("Fetch", probe_fetch(&b).await);
    row("Fetch long poll", probe_latency(&b).await);
    row("ListOffsets", probe_list_offsets(&b).await);
    row("ListOffsets after Produce", probe_fresh_watermark(&b).await);
    row("Metadata of a missing topic", probe_missing_topic(&b).await);
    row("DeleteRecords", probe_delete_records(&b).await);
    row("OffsetOutOfRange", probe_out_of_range(&b).await);
    row("Topic configs", probe_configs(&b).await);
    row("IncrementalAlterConfigs", probe_alter_configs(&b).await);
    row(
        "retention.ms (broker)",
        probe_broker_retention(&b, "retention.ms", "500", true).await,
    );
    row(
        "retention.ms, no cleanup.policy",
        probe_broker_retention(&b, "retention.ms", "500", false).await,
    );
    row(
        "retention.bytes (broker)",
        probe_broker_retention(&b, "retention.bytes", "200", true).await,
    );
    row("OffsetCommit metadata", probe_commit_metadata(&b).await);
    row("Consumer groups", probe_groups(&b).await);
    row("CreatePartitions", probe_create_partitions(&b).await);
    row("Transactions", probe_transactions(&b).await);
    if failed == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
