use super::*;

#[test]
fn public_urls_are_https_or_local_http() {
    for good in [
        "https://rally.example.org",
        "https://rally.example.org/",
        "https://example.org:8443",
        "http://localhost:8080",
        "http://127.0.0.1:3000",
        "http://[::1]:3000",
    ] {
        assert!(check_public_url(good).is_ok(), "{good}");
    }
    assert_eq!(
        check_public_url("https://rally.example.org/").unwrap(),
        "https://rally.example.org"
    );
    for bad in [
        "http://rally.example.org",
        "ftp://example.org",
        "example.org",
        "https://",
        "https://exa mple.org",
        "http://127.0.0.1.evil.example:80",
    ] {
        assert!(check_public_url(bad).is_err(), "{bad}");
    }
}
