//! Bids per second through the pure core, and the bid log's append and replay rates
//! (`cargo bench --bench core`).
//!
//! - `accepted`: every bid is accepted (handle + apply), 50 suppliers on one lot, so the ladder
//!   is re-ranked on every bid; the soft-close window is not reached.
//! - `rejected`: every bid is refused by the ceiling check (the cheapest full decision).
//! - `lines`: accepted bids on a lot with 20 line items (unit price x quantity summed per bid).

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;
use std::hint::black_box;
use veiling::core::*;

const BIDS: u64 = 10_000;
const SUPPLIERS: u32 = 50;

fn config(lines: usize) -> String {
    let mut c = String::from(
        r#"
[auction]
id = "bench"
title = "bench"
opens_at = "2025-03-04T10:00"
[timing]
mode = "parallel"
closes_at = "2025-03-04T18:00"
[bids]
decrement_amount = "0.01"
[soft_close]
window_s = 60
extension_s = 60
extensions_max = 5
[[lots]]
id = "lot"
name = "lot"
ceiling = "1000000.00"
"#,
    );
    for i in 0..lines {
        c.push_str(&format!(
            "[[lots.lines]]\nid = \"l{i}\"\ndescription = \"line\"\nunit = \"piece\"\nquantity = \"{}\"\n",
            i + 1
        ));
    }
    c.push_str("[[auctioneers]]\nid = \"a\"\nname = \"a\"\n");
    for s in 0..SUPPLIERS {
        c.push_str(&format!(
            "[[suppliers]]\nid = \"s{s}\"\nname = \"s{s}\"\nlots = [\"lot\"]\n"
        ));
    }
    c
}

fn opened(config: &str) -> (Auction, i64) {
    let rules = veiling::config::parse(config).expect("bench config").rules;
    let opens = rules.opens_at;
    let mut auction = Auction::new(rules);
    auction.execute(&Input {
        seq: 1,
        at: opens,
        command: Command::Tick,
    });
    (auction, opens)
}

fn inputs(opens: i64, lines: usize, price_cents: impl Fn(u64) -> i64) -> Vec<Input> {
    (0..BIDS)
        .map(|i| {
            let cents = price_cents(i);
            let offer = if lines == 0 {
                Offer::Total(Decimal::new(cents, 2))
            } else {
                Offer::Lines(vec![Decimal::new(cents, 2); lines])
            };
            Input {
                seq: 2 + i,
                at: opens + 1 + i as i64,
                command: Command::PlaceBid {
                    supplier: SupplierIx((i % SUPPLIERS as u64) as u32),
                    lot: LotIx(0),
                    client_bid_id: format!("b{i}"),
                    offer,
                },
            }
        })
        .collect()
}

fn run(
    c: &mut Criterion,
    name: &str,
    lines: usize,
    price_cents: impl Fn(u64) -> i64 + Copy,
    all_accepted: bool,
) {
    let config = config(lines);
    let (auction, opens) = opened(&config);
    let batch = inputs(opens, lines, price_cents);
    // Check once, outside the timing, that the bench measures what it says.
    let mut check = auction.clone();
    let accepted = batch
        .iter()
        .filter(|i| matches!(check.execute(i), Outcome::Accepted(_)))
        .count();
    assert_eq!(
        accepted == batch.len(),
        all_accepted,
        "{name}: {accepted} of {} accepted",
        batch.len()
    );
    let mut group = c.benchmark_group("core");
    group.throughput(Throughput::Elements(BIDS));
    group.bench_function(name, |b| {
        b.iter_batched(
            || auction.clone(),
            |mut a| {
                for input in &batch {
                    black_box(a.execute(input));
                }
                a
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    run(c, "accepted", 0, |i| 90_000_000 - i as i64, true);
    run(c, "rejected", 0, |_| 200_000_000, false);
    run(c, "lines", 20, |i| 400_000 - i as i64, true);
}

/// A real log: the shipped dieetvoeding auction simulated with seed 1, written with a test key.
fn simulated_log(dir: &std::path::Path) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("auction-configs/dieetvoeding-2024.toml");
    let (config, text) = veiling::config::load_file(&path).expect("config");
    let log = dir.join("bench.log");
    let _ = std::fs::remove_file(&log);
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    veiling::simulate::simulate_logged(config, &text, 1, &log, key).expect("simulate");
    std::fs::read(&log).expect("read")
}

fn log_benches(c: &mut Criterion) {
    use veiling::log::chain;
    use veiling::log::store::{FileStore, LogStore, SimDisk};
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-log");
    std::fs::create_dir_all(&dir).expect("dir");
    let bytes = simulated_log(&dir);
    let records: Vec<Vec<u8>> = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    let mut group = c.benchmark_group("log");
    group.sample_size(10);

    // Append without sync: the in-memory disk (syncs are memory copies).
    group.throughput(Throughput::Elements(records.len() as u64));
    group.bench_function("append_no_sync", |b| {
        b.iter(|| {
            let mut store = FileStore::new(SimDisk::new(Vec::new()), 0);
            for (i, r) in records.iter().enumerate() {
                store
                    .append(i as u64, std::slice::from_ref(r))
                    .expect("append");
            }
        })
    });
    // Append with fdatasync on the target disk: one record per sync, and 100 per group commit.
    for per_sync in [1usize, 100] {
        let chunk: Vec<Vec<u8>> = records.iter().take(200).cloned().collect();
        group.throughput(Throughput::Elements(chunk.len() as u64));
        group.bench_function(format!("append_fdatasync_{per_sync}_per_sync"), |b| {
            b.iter_batched(
                || {
                    let path = dir.join("append.log");
                    let _ = std::fs::remove_file(&path);
                    let file = std::fs::OpenOptions::new()
                        .create(true)
                        .read(true)
                        .append(true)
                        .open(&path)
                        .expect("file");
                    FileStore::new(file, 0)
                },
                |mut store| {
                    for (n, batch) in chunk.chunks(per_sync).enumerate() {
                        store.append((n * per_sync) as u64, batch).expect("append");
                    }
                },
                BatchSize::PerIteration,
            )
        });
    }
    // Verify (framing, canonical form, chain, signatures) and replay (re-execute every input
    // and compare bytes) of the whole log.
    group.throughput(Throughput::Elements(records.len() as u64));
    group.bench_function("verify", |b| {
        b.iter(|| black_box(chain::verify(&bytes, None, &mut |_| {}).problem.is_none()))
    });
    let verified = chain::verify(&bytes, None, &mut |_| {})
        .verified
        .expect("verifies");
    group.bench_function("replay", |b| {
        b.iter(|| black_box(chain::replay(&verified, None).expect("replays").records))
    });
    group.finish();
}

criterion_group!(core_benches, benches, log_benches);
criterion_main!(core_benches);
