use super::*;
use rally_core::Persona;

fn persona() -> PersonaId {
    Persona::generate().id()
}

fn refused(a: Admission) -> String {
    match a {
        Admission::Refused(r) => r,
        Admission::Admitted => panic!("admitted"),
    }
}

#[test]
fn each_mode_admits_whom_it_should() {
    let dir = tempfile::tempdir().unwrap();
    let mut reg = SqliteRegistry::open(dir.path()).unwrap();
    let now = Timestamp::now();
    assert_eq!(reg.mode().unwrap(), Mode::Invite, "the default mode");

    let (a, b, c) = (persona(), persona(), persona());
    let why = refused(admit(&mut reg, &a, None, now).unwrap());
    assert!(why.contains("invitation"), "{why}");
    let why = refused(admit(&mut reg, &a, Some("nope"), now).unwrap());
    assert!(why.contains("not valid"), "{why}");

    let invite = reg.create_invite(1, now).unwrap();
    let typed = invite.code.to_uppercase().replace('-', " ");
    assert_eq!(
        admit(&mut reg, &a, Some(&typed), now).unwrap(),
        Admission::Admitted
    );
    let why = refused(admit(&mut reg, &b, Some(&invite.code), now).unwrap());
    assert!(
        why.contains("not valid"),
        "a one-use code was used twice: {why}"
    );
    // Registered personas come back without a code.
    assert_eq!(admit(&mut reg, &a, None, now).unwrap(), Admission::Admitted);

    let revoked = reg.create_invite(5, now).unwrap();
    assert!(reg.revoke_invite(&revoked.code).unwrap());
    refused(admit(&mut reg, &b, Some(&revoked.code), now).unwrap());

    reg.set_mode(Mode::Open).unwrap();
    assert_eq!(admit(&mut reg, &b, None, now).unwrap(), Admission::Admitted);

    reg.set_mode(Mode::Closed).unwrap();
    let why = refused(admit(&mut reg, &c, None, now).unwrap());
    assert!(why.contains("does not accept"), "{why}");
    assert_eq!(admit(&mut reg, &a, None, now).unwrap(), Admission::Admitted);
    assert_eq!(admit(&mut reg, &b, None, now).unwrap(), Admission::Admitted);

    assert!(reg.remove_registration(&b).unwrap());
    refused(admit(&mut reg, &b, None, now).unwrap());
    assert_eq!(reg.registrations().unwrap().len(), 1);
}

#[test]
fn the_mode_is_shared_with_another_connection_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = SqliteRegistry::open(dir.path()).unwrap();
    let mut admin = SqliteRegistry::open(dir.path()).unwrap();
    admin.set_mode(Mode::Closed).unwrap();
    assert_eq!(server.mode().unwrap(), Mode::Closed);
    assert!("sometimes".parse::<Mode>().is_err());
}

#[test]
fn a_file_that_is_not_a_registry_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(REGISTRY_FILE),
        b"not a database, just text, long enough to be read",
    )
    .unwrap();
    let err = SqliteRegistry::open(dir.path()).unwrap_err();
    assert!(matches!(err, RegistryError::NotADatabase { .. }), "{err}");
}
