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
