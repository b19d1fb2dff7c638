//! The store at 100 000 events: how long the queries the apps make take, how long
//! a cold open takes, and how many bytes an event costs on disk.
//!
//! Run with `cargo xtask bench` (or `cargo bench -p rally-store --bench store`).
//! Set `RALLY_BENCH_EVENTS` for another size. Figures are printed, with the same
//! queries on a plain SQLite table of the same rows as a baseline ratio.

use std::time::{Duration, Instant};

use rally_core::jiff::Timestamp;
use rally_core::{Document, EventDetails, Persona};
use rally_store::{BBox, EventQuery, Store};
use rusqlite::params;

const WORDS: &[&str] = &[
    "climate",
    "march",
    "picnic",
    "assembly",
    "choir",
    "repair",
    "bike",
    "garden",
    "library",
    "concert",
    "housing",
    "workshop",
    "solidarity",
    "market",
    "river",
    "cleanup",
    "strike",
    "festival",
    "dance",
    "cinema",
    "reading",
    "walk",
];
const PLACES: &[&str] = &[
    "Place de la République",
    "Parc de la Tête d'Or",
    "Maison du Peuple",
    "Salle des fêtes",
    "Bourse du Travail",
];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn typical_event(rng: &mut Rng, now: Timestamp) -> EventDetails {
    let title = format!(
        "{} {} #{}",
        rng.pick(WORDS),
        rng.pick(WORDS),
        rng.next() % 1000
    );
    // Spread over two years, centred on now.
    let offset = (rng.next() % (730 * 24)) as i64 - 365 * 24;
    let starts = now
        .checked_add(jiff_hours(offset))
        .unwrap()
        .to_zoned_datetime(rally_core::time_zone("Europe/Paris").unwrap())
        .datetime();
    let mut d = EventDetails::new(title, starts, "Europe/Paris");
    d.ends = Some(starts.checked_add(jiff_hours(2)).unwrap());
    d.description = format!(
        "Join us for a {} {}. We meet at the usual place; bring friends, water and something to share. Accessible by tram. See the group page for details about the {}.",
        rng.pick(WORDS),
        rng.pick(WORDS),
        rng.pick(WORDS)
    );
    d.place.name = Some(rng.pick(PLACES).to_owned());
    d.place.address = Some(format!(
        "{} rue {}, {} Lyon",
        rng.next() % 200,
        rng.pick(WORDS),
        69000 + rng.next() % 10
    ));
    d.place.latitude = Some(43.0 + (rng.next() % 6000) as f64 / 1000.0);
    d.place.longitude = Some(-1.0 + (rng.next() % 8000) as f64 / 1000.0);
    d.tags = vec![rng.pick(WORDS).to_owned()];
    d
}

fn jiff_hours(h: i64) -> rally_core::jiff::SignedDuration {
    rally_core::jiff::SignedDuration::from_hours(h)
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let p = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (p(0.5), p(0.99))
}

fn measure(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    f();
    percentiles(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

fn main() {
    let n: usize = std::env::var("RALLY_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let now = Timestamp::now();
    let mut rng = Rng(0x5eed_1234_abcd);
    let mut store = Store::open(dir.path()).unwrap();
    let me = store.create_persona("bench", now).unwrap();
    let others: Vec<Persona> = (0..50).map(|_| Persona::generate()).collect();

    let started = Instant::now();
    let mut batch = Vec::with_capacity(1000);
    let mut details_kept = Vec::with_capacity(n);
    // The events that become weekly series at the end (see below).
    let mut series_of: Vec<(rally_core::DocId, Persona)> = Vec::with_capacity(SERIES);
    for i in 0..n {
        let d = typical_event(&mut rng, now);
        let author = if i % 10 == 0 {
            &me.persona
        } else {
            &others[i % others.len()]
        };
        let (doc, _) = Document::create_event(author, "bench", &d, None, now).unwrap();
        if i % (n / SERIES).max(1) == 0 && series_of.len() < SERIES {
            series_of.push((doc.id(), author.clone()));
        }
        details_kept.push((d.starts_at().timestamp().as_second(), d.title.clone()));
        batch.push(doc);
        if batch.len() == 1000 {
            store.insert_new_batch(&batch).unwrap();
            batch.clear();
        }
    }
    store.insert_new_batch(&batch).unwrap();
    let create = started.elapsed();
    println!("store benchmark: {n} events");
    println!(
        "  create + store:     {:.1} s ({:.0} events/s)",
        create.as_secs_f64(),
        n as f64 / create.as_secs_f64()
    );

    // Baseline: the same rows in a plain indexed SQLite table, queried the same way.
    let base = rusqlite::Connection::open(dir.path().join("baseline.db")).unwrap();
    base.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE plain (id INTEGER PRIMARY KEY, title TEXT, starts INTEGER); CREATE INDEX plain_starts ON plain (starts);").unwrap();
    {
        let tx = base.unchecked_transaction().unwrap();
        for (starts, title) in &details_kept {
            tx.execute(
                "INSERT INTO plain (title, starts) VALUES (?1, ?2)",
                params![title, starts],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    let (b50, b99) = measure(2000, || {
        let mut st = base
            .prepare_cached(
                "SELECT id, title, starts FROM plain WHERE starts >= ?1 ORDER BY starts LIMIT 50",
            )
            .unwrap();
        let rows: Vec<(i64, String, i64)> = st
            .query_map([now.as_second()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows.len(), 50);
    });

    let upcoming = EventQuery::upcoming(now);
    let (u50, u99) = measure(2000, || {
        assert_eq!(store.events(&upcoming).unwrap().len(), 50)
    });
    println!(
        "  upcoming (50):      p50 {}  p99 {}   baseline plain table p50 {}  ratio {:.2}",
        ms(u50),
        ms(u99),
        ms(b50),
        u50.as_secs_f64() / b50.as_secs_f64()
    );
    let _ = b99;
    let mut mine = EventQuery::upcoming(now);
    mine.involving = vec![me.id()];
    let (m50, m99) = measure(500, || assert!(!store.events(&mine).unwrap().is_empty()));
    println!("  upcoming, mine:     p50 {}  p99 {}", ms(m50), ms(m99));
    let mut search = EventQuery::upcoming(now);
    search.upcoming = false;
    search.text = Some("solidarity garden".into());
    let hits = store
        .events(&EventQuery {
            limit: 1_000_000,
            ..search.clone()
        })
        .unwrap()
        .len();
    let (s50, s99) = measure(500, || assert!(!store.events(&search).unwrap().is_empty()));
    println!(
        "  text search:        p50 {}  p99 {}   ({hits} matching events)",
        ms(s50),
        ms(s99)
    );
    let mut area = EventQuery::upcoming(now);
    area.bbox = Some(BBox {
        min_lat: 45.5,
        min_lon: 4.6,
        max_lat: 45.9,
        max_lon: 5.0,
    });
    let (a50, a99) = measure(500, || {
        store.events(&area).unwrap();
    });
    println!("  bounding box:       p50 {}  p99 {}", ms(a50), ms(a99));
    let (l50, l99) = {
        let ids: Vec<_> = store
            .events(&EventQuery {
                limit: 200,
                ..upcoming.clone()
            })
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        let mut i = 0;
        measure(500, || {
            i += 1;
            store.load(ids[i % ids.len()]).unwrap().event().unwrap();
        })
    };
    println!("  open one event doc: p50 {}  p99 {}", ms(l50), ms(l99));
    drop(store);

    // Cold open: a new connection, then the first upcoming query.
    let dropped = std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok();
    let (c50, c99) = percentiles(
        (0..if dropped { 5 } else { 20 })
            .map(|_| {
                if dropped {
                    let _ = std::fs::write("/proc/sys/vm/drop_caches", "3");
                }
                let t = Instant::now();
                let s = Store::open(dir.path()).unwrap();
                assert_eq!(s.events(&upcoming).unwrap().len(), 50);
                t.elapsed()
            })
            .collect(),
    );
    println!(
        "  cold open + first upcoming query: p50 {}  p99 {}  (OS page cache {})",
        ms(c50),
        ms(c99),
        if dropped {
            "dropped before each open"
        } else {
            "not dropped: no permission"
        }
    );

    let s = Store::open(dir.path()).unwrap();
    drop(s);
    let c = rusqlite::Connection::open(dir.path().join(rally_store::DB_FILE)).unwrap();
    c.pragma_update(None, "wal_checkpoint", "TRUNCATE").unwrap();
    c.execute_batch("VACUUM").unwrap();
    drop(c);
    let size = std::fs::metadata(dir.path().join(rally_store::DB_FILE))
        .unwrap()
        .len();
    let _ = dir_size(dir.path());
    println!(
        "  on disk:            {:.1} MB, {:.0} bytes per event (after checkpoint and VACUUM)",
        size as f64 / 1e6,
        size as f64 / n as f64
    );
    println!("  targets: upcoming p50 < 5 ms, cold open < 300 ms, < 2048 bytes per event");

    // Recurring events: 5 000 of the same events become weekly series with no
    // end (each indexed by its occurrences over two years), then the same
    // upcoming query, against its figures above on the store with no series.
    let mut store = Store::open(dir.path()).unwrap();
    let started = Instant::now();
    store.begin_batch().unwrap();
    for (id, author) in &series_of {
        store
            .update(*id, |d| {
                let mut details = d.event()?.details;
                details.repeat = Some(rally_core::Repeat::parse("FREQ=WEEKLY").unwrap());
                d.update_event(author, &details, now)
            })
            .unwrap();
    }
    store.commit_batch().unwrap();
    let made = started.elapsed();
    let (s50, s99) = measure(2000, || {
        assert_eq!(store.events(&upcoming).unwrap().len(), 50)
    });
    println!(
        "  {} weekly series: made in {:.1} s; upcoming (50) p50 {}  p99 {}  against no series p50 {}  p99 {}  ratio p50 {:.2}  p99 {:.2}",
        series_of.len(),
        made.as_secs_f64(),
        ms(s50),
        ms(s99),
        ms(u50),
        ms(u99),
        s50.as_secs_f64() / u50.as_secs_f64(),
        s99.as_secs_f64() / u99.as_secs_f64()
    );
    drop(store);

    // Encrypted at rest: the same store encrypted in place (its key in the key
    // file, as on a system with no keystore: the same SQLCipher work), against
    // the plaintext one, measured side by side.
    let enc = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir.path().join(rally_store::DB_FILE),
        enc.path().join(rally_store::DB_FILE),
    )
    .unwrap();
    let started = Instant::now();
    rally_store::at_rest::unlock(enc.path(), rally_store::at_rest::Unlock::default()).unwrap();
    let migrated = started.elapsed();
    let plain_store = Store::open(dir.path()).unwrap();
    let enc_store = Store::open(enc.path()).unwrap();
    let (p50, p99) = measure(2000, || {
        assert_eq!(plain_store.events(&upcoming).unwrap().len(), 50)
    });
    let (e50, e99) = measure(2000, || {
        assert_eq!(enc_store.events(&upcoming).unwrap().len(), 50)
    });
    let (ps50, _) = measure(500, || {
        assert!(!plain_store.events(&search).unwrap().is_empty())
    });
    let (es50, _) = measure(500, || {
        assert!(!enc_store.events(&search).unwrap().is_empty())
    });
    drop((plain_store, enc_store));
    let cold = |d: &std::path::Path| {
        percentiles(
            (0..if dropped { 5 } else { 20 })
                .map(|_| {
                    if dropped {
                        let _ = std::fs::write("/proc/sys/vm/drop_caches", "3");
                    }
                    let t = Instant::now();
                    let s = Store::open(d).unwrap();
                    assert_eq!(s.events(&upcoming).unwrap().len(), 50);
                    t.elapsed()
                })
                .collect(),
        )
    };
    let (pc50, _) = cold(dir.path());
    let (ec50, _) = cold(enc.path());
    let vacuumed = |d: &std::path::Path| {
        let c = rally_store::at_rest::connect(d).unwrap();
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")
            .unwrap();
        drop(c);
        std::fs::metadata(d.join(rally_store::DB_FILE))
            .unwrap()
            .len()
    };
    let (psize, esize) = (vacuumed(dir.path()), vacuumed(enc.path()));
    println!(
        "  encrypted at rest (SQLCipher): migrating the plaintext store took {:.1} s",
        migrated.as_secs_f64()
    );
    println!(
        "    upcoming (50):    p50 {} p99 {}  plaintext p50 {} p99 {}  ratio p50 {:.2} p99 {:.2}  (target p50 <= 1.5)",
        ms(e50),
        ms(e99),
        ms(p50),
        ms(p99),
        e50.as_secs_f64() / p50.as_secs_f64(),
        e99.as_secs_f64() / p99.as_secs_f64()
    );
    println!(
        "    text search:      p50 {}  plaintext p50 {}  ratio {:.2}",
        ms(es50),
        ms(ps50),
        es50.as_secs_f64() / ps50.as_secs_f64()
    );
    println!(
        "    cold open + first upcoming query: p50 {}  plaintext p50 {}  ratio {:.2}",
        ms(ec50),
        ms(pc50),
        ec50.as_secs_f64() / pc50.as_secs_f64()
    );
    println!(
        "    on disk:          {:.0} bytes per event  plaintext {:.0}  ratio {:.3}",
        esize as f64 / n as f64,
        psize as f64 / n as f64,
        esize as f64 / psize as f64
    );
}

/// Events of the benchmark that become weekly series.
const SERIES: usize = 5_000;
