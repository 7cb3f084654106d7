//! Login modes, sessions, the one-email-per-name rule.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use rrd_server::config::AuthMode;

use crate::{Harness, NOW};

#[tokio::test]
async fn dev_login_round_trip() {
    let h = Harness::new("devlogin");
    let r = h.get("/metrics/", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.header("location"),
        Some("/auth/login?came_from=/metrics/")
    );
    let r = h.get("/auth/login?came_from=/metrics/", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), Some("/metrics/"));
    let cookie = r.header("set-cookie").unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let value = cookie.split(';').next().unwrap().to_string();
    let req = Request::get("/metrics/")
        .header(header::COOKIE, value)
        .body(Body::empty())
        .unwrap();
    let r = h.send(req).await;
    assert_eq!(r.header("location"), Some("/metrics/dev/default/"));
    // a login never sends the browser off-site
    let r = h.get("/auth/login?came_from=//evil.example/", None).await;
    assert_eq!(r.header("location"), Some("/metrics/"));
    // logout clears the cookie
    let r = h.get("/auth/logout", Some("dev")).await;
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
}

#[tokio::test]
async fn api_routes_answer_401_without_a_session_and_forged_cookies_fail() {
    let h = Harness::new("unauth");
    assert_eq!(
        h.get("/metrics/dev/default/load.json", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let forged = Request::get("/metrics/dev/default/load.json")
        .header(header::COOKIE, "rrd_session=31.00")
        .body(Body::empty())
        .unwrap();
    assert_eq!(h.send(forged).await.status, StatusCode::UNAUTHORIZED);
    let other_key =
        rrd_server::auth::Sessions::new(b"a different key, thirty-two long".to_vec(), 100, false);
    let req = Request::get("/metrics/dev/default/load.json")
        .header(
            header::COOKIE,
            format!("rrd_session={}", other_key.mint("dev@example.com", NOW)),
        )
        .body(Body::empty())
        .unwrap();
    assert_eq!(h.send(req).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn allowed_email_pattern_and_name_collisions() {
    let h = Harness::with("emails", |c| {
        c.auth.allowed_email = "@example\\.com$".into()
    });
    assert_eq!(
        h.get("/metrics/jim/default/load.json", Some("jim"))
            .await
            .status,
        StatusCode::OK
    );
    let outsider = format!(
        "rrd_session={}",
        h.state.sessions.mint("jim@elsewhere.org", NOW)
    );
    let req = Request::get("/metrics/jim/default/load.json")
        .header(header::COOKIE, outsider)
        .body(Body::empty())
        .unwrap();
    let r = h.send(req).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());

    // no pattern: two domains may log in, but not as the same name
    let h = Harness::new("collide");
    assert_eq!(
        h.get("/metrics/jim/default/load.json", Some("jim"))
            .await
            .status,
        StatusCode::OK
    );
    let other = format!(
        "rrd_session={}",
        h.state.sessions.mint("jim@other.org", NOW)
    );
    let req = Request::get("/metrics/jim/default/load.json")
        .header(header::COOKIE, other)
        .body(Body::empty())
        .unwrap();
    let r = h.send(req).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.text().contains("belongs to another email"),
        "{}",
        r.text()
    );
}

fn from(peer: [u8; 4], header_value: Option<&str>) -> Request<Body> {
    let mut b = Request::get("/metrics/ann/default/load.json");
    if let Some(v) = header_value {
        b = b.header("X-Forwarded-Email", v);
    }
    let mut req = b.body(Body::empty()).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((peer, 5000))));
    req
}

#[tokio::test]
async fn header_mode_believes_only_trusted_proxies() {
    let h = Harness::with("header", |c| {
        c.auth.mode = AuthMode::Header;
        c.auth.trusted_proxies = vec!["10.0.0.1".parse().unwrap()];
    });
    assert_eq!(
        h.send(from([10, 0, 0, 1], Some("ann@example.com")))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        h.send(from([10, 0, 0, 1], None)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = h.send(from([10, 0, 0, 2], Some("ann@example.com"))).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a header from anyone else is not believed"
    );
    // a session cookie does not stand in for the proxy
    let mut req = from([10, 0, 0, 2], None);
    req.headers_mut()
        .insert(header::COOKIE, h.cookie("ann").parse().unwrap());
    assert_eq!(h.send(req).await.status, StatusCode::FORBIDDEN);
    let r = h.get("/auth/login", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[test]
fn dev_mode_refuses_a_public_address_and_oidc_needs_its_feature() {
    let mut c = rrd_server::Config {
        data_dir: crate::tempdir("cfg"),
        listen: "0.0.0.0:8080".parse().unwrap(),
        ..Default::default()
    };
    let e = rrd_server::AppState::new(c.clone()).unwrap_err();
    assert!(format!("{e:#}").contains("loopback"), "{e:#}");
    c.listen = "127.0.0.1:8080".parse().unwrap();
    c.auth.mode = AuthMode::Oidc;
    c.auth.oidc = Some(rrd_server::config::OidcConfig {
        issuer: "https://id.example.com".into(),
        client_id: "x".into(),
        client_secret: None,
        redirect_url: "http://127.0.0.1:8080/auth/callback".into(),
    });
    let made = rrd_server::AppState::new(c.clone());
    if cfg!(feature = "oidc") {
        // the provider is discovered at the first login, not at start-up
        assert!(made.is_ok(), "{:?}", made.err());
    } else {
        let e = made.unwrap_err();
        assert!(
            format!("{e:#}").contains("built with the oidc feature"),
            "{e:#}"
        );
    }
    let _ = std::fs::remove_dir_all(&c.data_dir);
}

#[tokio::test]
async fn header_mode_refuses_a_doubled_header() {
    let h = Harness::with("header2", |c| {
        c.auth.mode = AuthMode::Header;
        c.auth.trusted_proxies = vec!["10.0.0.1".parse().unwrap()];
    });
    let mut req = from([10, 0, 0, 1], Some("ann@example.com"));
    req.headers_mut()
        .append("X-Forwarded-Email", "boss@example.com".parse().unwrap());
    assert_eq!(h.send(req).await.status, StatusCode::FORBIDDEN);
}
