//! Both backends behind the same calls: the same SQL, the same answers.

use super::*;
use crate::vals;

/// A fresh database of each kind: SQLite files in a temporary directory, and a
/// new database in the test cluster.
pub(crate) fn each() -> Vec<(tempfile::TempDir, Database)> {
    let sqlite = tempfile::tempdir().unwrap();
    let db = Database::Sqlite(sqlite.path().to_owned());
    let pg = Database::Postgres(rally_pgtest::Cluster::shared().database());
    vec![(sqlite, db), (tempfile::tempdir().unwrap(), pg)]
}

#[test]
fn values_go_in_and_come_back_the_same() {
    for (_dir, database) in each() {
        let conn = database.open("t.db", migrations::Store::Registry).unwrap();
        let table = migrations::Migration {
            version: 1,
            what: "a test table",
            sql: migrations::Sql::Both(
                "CREATE TABLE v (id INTEGER PRIMARY KEY, n INTEGER, t TEXT, b BLOB)",
            ),
        };
        conn.batch(&table.sql_for(conn.dialect())).unwrap();
        let n = conn
            .exec(
                "INSERT INTO v (n, t, b) VALUES (?1, ?2, ?3), (?4, ?5, ?6)",
                vals![
                    i64::MIN,
                    "é ✓ '?1'",
                    vec![0u8, 255, 1],
                    None::<i64>,
                    None::<&str>,
                    None::<Vec<u8>>
                ],
            )
            .unwrap();
        assert_eq!(n, 2, "{database:?}");
        let rows = conn.rows("SELECT n, t, b FROM v ORDER BY id", &[]).unwrap();
        assert_eq!(rows[0].get::<i64>(0).unwrap(), i64::MIN);
        assert_eq!(rows[0].get::<String>(1).unwrap(), "é ✓ '?1'");
        assert_eq!(rows[0].get::<Vec<u8>>(2).unwrap(), vec![0, 255, 1]);
        assert_eq!(rows[1].get::<Option<i64>>(0).unwrap(), None);
        assert!(rows[1].get::<i64>(0).is_err(), "a null is not a number");
        assert!(rows[0].get::<i64>(1).is_err(), "text is not a number");
        // A statement that fails inside a transaction leaves nothing behind.
        let failed: Result<(), SqlError> = conn.transaction(|c| {
            c.exec("INSERT INTO v (n) VALUES (?1)", vals![7i64])?;
            c.exec("INSERT INTO nowhere (n) VALUES (?1)", vals![8i64])?;
            Ok(())
        });
        assert!(failed.is_err());
        assert_eq!(
            conn.one::<i64>("SELECT count(*) FROM v", &[]).unwrap(),
            Some(2),
            "{database:?}: the transaction was rolled back"
        );
    }
}

#[test]
fn migrations_are_applied_once_and_recorded() {
    for (dir, database) in each() {
        for store in [migrations::Store::Registry, migrations::Store::Fedi] {
            let file = format!("{}.db", store.name());
            let first = database.open(&file, store).unwrap();
            // Opening again (another process starting) applies nothing twice.
            let again = database.open(&file, store).unwrap();
            let latest = store.migrations().last().unwrap().version;
            assert_eq!(migrations::version(&first).unwrap(), latest);
            assert_eq!(migrations::version(&again).unwrap(), latest);
        }
        drop(dir);
    }
}

#[test]
fn the_data_directory_remembers_its_database() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        Database::for_data(dir.path()).unwrap(),
        Database::Sqlite(dir.path().to_owned())
    );
    let pg = Database::parse(Some("postgres://rally@127.0.0.1:1/x"), dir.path()).unwrap();
    pg.remember(dir.path()).unwrap();
    assert_eq!(Database::for_data(dir.path()).unwrap(), pg);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(DATABASE_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the URL may hold a password");
    }
    Database::parse(
        Some(&format!("sqlite:{}", dir.path().display())),
        dir.path(),
    )
    .unwrap()
    .remember(dir.path())
    .unwrap();
    assert_eq!(
        Database::for_data(dir.path()).unwrap(),
        Database::Sqlite(dir.path().to_owned())
    );
    assert!(matches!(
        Database::parse(Some("mysql://x"), dir.path()),
        Err(SqlError::BadUrl(_))
    ));
}

/// A populated SQLite instance copied into PostgreSQL answers the same, and
/// keeps counting its ids after the copied ones.
#[test]
fn an_instance_is_copied_into_postgres_and_checked() {
    use crate::fedi::db::FediDb;
    use crate::registry::{Mode, Registry, SqlRegistry};
    let dir = tempfile::tempdir().unwrap();
    let now = rally_core::jiff::Timestamp::from_second(1_900_000_000).unwrap();
    let persona = rally_core::Persona::generate().id();
    {
        let mut reg = SqlRegistry::open(dir.path()).unwrap();
        reg.set_mode(Mode::Open).unwrap();
        reg.add_registration(&persona, now).unwrap();
        reg.create_invite(2, now).unwrap();
        reg.set_transport_key(b"the node's key").unwrap();
        let fedi = FediDb::open(dir.path()).unwrap();
        fedi.actor_key("https://rally.example/relay").unwrap();
        fedi.enqueue("https://m.example/inbox", "a", "{\"x\":1}", 5)
            .unwrap();
        fedi.enqueue("https://m.example/inbox", "a", "{\"x\":2}", 5)
            .unwrap();
        fedi.log_moderation("hide", "doc", Some("é"), 5).unwrap();
        fedi.first_sight("https://m.example/a/1", 5).unwrap();
    }
    let sqlite = Database::Sqlite(dir.path().to_owned());
    let pg = Database::Postgres(rally_pgtest::Cluster::shared().database());
    for (file, store) in [
        (crate::registry::REGISTRY_FILE, migrations::Store::Registry),
        (crate::fedi::db::FEDI_FILE, migrations::Store::Fedi),
    ] {
        let from = sqlite.open(file, store).unwrap();
        let to = pg.open(file, store).unwrap();
        let copied = copy::copy(&from, &to).unwrap();
        assert!(copied.iter().any(|c| c.rows > 0), "{copied:?}");
        // Into a database that is no longer empty: refused.
        assert!(matches!(
            copy::copy(&from, &to),
            Err(copy::CopyError::NotEmpty(_))
        ));
    }
    let reg = SqlRegistry::open_in(&pg, dir.path()).unwrap();
    assert_eq!(reg.mode().unwrap(), Mode::Open);
    assert!(reg.is_registered(&persona).unwrap());
    assert_eq!(reg.invites().unwrap()[0].uses_left, 2);
    let fedi = FediDb::open_in(&pg).unwrap();
    assert_eq!(fedi.queue_depth().unwrap(), 2);
    assert!(!fedi.first_sight("https://m.example/a/1", 6).unwrap());
    assert_eq!(
        fedi.moderation_log(5).unwrap()[0].note.as_deref(),
        Some("é")
    );
    fedi.enqueue("https://m.example/inbox", "a", "{\"x\":3}", 6)
        .unwrap();
    let ids: Vec<i64> = fedi
        .claim(10, 10, 60)
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(ids, vec![1, 2, 3], "new ids follow the copied ones");
}
