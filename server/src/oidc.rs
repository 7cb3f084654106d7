//! OpenID Connect login: authorization code with PKCE, built with the
//! `oidc` cargo feature.
//!
//! `/auth/login` discovers the provider (once, on first use, so the server
//! starts while the provider is down), sends the browser to it with a
//! random state, nonce and PKCE challenge, and keeps the three plus the
//! return path in a signed cookie that lives ten minutes.
//! `/auth/callback` checks the state, exchanges the code (with the PKCE
//! verifier), verifies the ID token (signature, issuer, audience, expiry,
//! nonce), and takes the email from the ID token, or else from the userinfo
//! endpoint; the email must be marked verified. Then the usual session
//! cookie is set.
//!
//! Without the feature, a configuration asking for `oidc` is refused at
//! start-up with a message saying how to build it.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::config::OidcConfig;
use crate::error::{AppError, AppResult};
use crate::AppState;

/// The cookie that carries the login's state across the round trip.
const FLOW_COOKIE: &str = "rrd_oidc";
/// How long a login may take at the provider, seconds.
const FLOW_SECONDS: i64 = 600;

/// The callback's query.
#[derive(Debug, Deserialize)]
// without the feature nothing reads the fields: the callback refuses first
#[cfg_attr(not(feature = "oidc"), allow(dead_code))]
pub(crate) struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[cfg(feature = "oidc")]
mod imp {
    use openidconnect::core::{
        CoreClient, CoreProviderMetadata, CoreResponseType, CoreUserInfoClaims,
    };
    use openidconnect::{
        AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
        OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
        TokenResponse,
    };

    use super::*;

    /// The relying party: configuration, an HTTP client, and the
    /// provider's metadata once discovered.
    #[derive(Debug)]
    pub struct Client {
        config: OidcConfig,
        http: reqwest::Client,
        metadata: tokio::sync::OnceCell<CoreProviderMetadata>,
    }

    fn provider_error(what: &str, e: impl std::fmt::Display) -> AppError {
        AppError::Internal(anyhow::anyhow!("OpenID Connect {what}: {e}"))
    }

    impl Client {
        /// A client for the configured provider; nothing is fetched yet.
        pub fn new(config: OidcConfig) -> anyhow::Result<Client> {
            IssuerUrl::new(config.issuer.clone())?;
            RedirectUrl::new(config.redirect_url.clone())?;
            let http = reqwest::ClientBuilder::new()
                // the token and userinfo endpoints must answer, not redirect (SSRF)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(15))
                .build()?;
            Ok(Client {
                config,
                http,
                metadata: tokio::sync::OnceCell::new(),
            })
        }

        async fn metadata(&self) -> AppResult<&CoreProviderMetadata> {
            self.metadata
                .get_or_try_init(|| async {
                    let issuer = IssuerUrl::new(self.config.issuer.clone())
                        .map_err(|e| provider_error("issuer", e))?;
                    CoreProviderMetadata::discover_async(issuer, &self.http)
                        .await
                        .map_err(|e| provider_error("discovery", e))
                })
                .await
        }

        async fn client(
            &self,
        ) -> AppResult<
            CoreClient<
                openidconnect::EndpointSet,
                openidconnect::EndpointNotSet,
                openidconnect::EndpointNotSet,
                openidconnect::EndpointNotSet,
                openidconnect::EndpointMaybeSet,
                openidconnect::EndpointMaybeSet,
            >,
        > {
            let meta = self.metadata().await?.clone();
            let redirect = RedirectUrl::new(self.config.redirect_url.clone())
                .map_err(|e| provider_error("redirect URL", e))?;
            Ok(CoreClient::from_provider_metadata(
                meta,
                ClientId::new(self.config.client_id.clone()),
                self.config.client_secret.clone().map(ClientSecret::new),
            )
            .set_redirect_uri(redirect))
        }

        /// Where to send the browser, and the flow cookie's value.
        pub(crate) async fn start(
            &self,
            state: &AppState,
            back: &str,
        ) -> AppResult<(String, String)> {
            let client = self.client().await?;
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            let (url, csrf, nonce) = client
                .authorize_url(
                    AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                    CsrfToken::new_random,
                    Nonce::new_random,
                )
                .add_scope(Scope::new("email".into()))
                .set_pkce_challenge(challenge)
                .url();
            let expires = (state.clock)() + FLOW_SECONDS;
            let flow = serde_json::json!({
                "state": csrf.secret(), "nonce": nonce.secret(), "verifier": verifier.secret(),
                "back": back, "expires": expires,
            });
            Ok((url.to_string(), state.sessions.sign(&flow.to_string())))
        }

        /// The verified email of a finished login.
        pub(crate) async fn finish(
            &self,
            state: &AppState,
            flow: &str,
            q: &Callback,
        ) -> AppResult<(String, String)> {
            let flow: serde_json::Value = state
                .sessions
                .unsign(flow)
                .and_then(|s| serde_json::from_str(&s).ok())
                .ok_or_else(|| {
                    AppError::BadRequest(
                        "the login's state cookie is missing or forged; log in again".into(),
                    )
                })?;
            let field = |k: &str| flow[k].as_str().unwrap_or_default().to_string();
            if flow["expires"].as_i64().unwrap_or(0) < (state.clock)() {
                return Err(AppError::BadRequest(
                    "the login took too long; log in again".into(),
                ));
            }
            if q.state.as_deref() != Some(field("state").as_str()) || field("state").is_empty() {
                return Err(AppError::BadRequest(
                    "the provider's answer is not for this login (state mismatch)".into(),
                ));
            }
            let code = q
                .code
                .clone()
                .ok_or_else(|| AppError::BadRequest("the provider sent no code".into()))?;
            let client = self.client().await?;
            let token = client
                .exchange_code(AuthorizationCode::new(code))
                .map_err(|e| provider_error("token endpoint", e))?
                .set_pkce_verifier(PkceCodeVerifier::new(field("verifier")))
                .request_async(&self.http)
                .await
                .map_err(|e| AppError::Forbidden(format!("the provider refused the login: {e}")))?;
            let id_token = token
                .id_token()
                .ok_or_else(|| AppError::Forbidden("the provider sent no ID token".into()))?;
            let claims = id_token
                .claims(&client.id_token_verifier(), &Nonce::new(field("nonce")))
                .map_err(|e| AppError::Forbidden(format!("the ID token does not verify: {e}")))?;
            let (email, verified) = match claims.email() {
                Some(e) => (e.to_string(), claims.email_verified()),
                None => {
                    let info: CoreUserInfoClaims = client
                        .user_info(token.access_token().clone(), Some(claims.subject().clone()))
                        .map_err(|e| provider_error("userinfo", e))?
                        .request_async(&self.http)
                        .await
                        .map_err(|e| provider_error("userinfo", e))?;
                    let email = info.email().ok_or_else(|| {
                        AppError::Forbidden("the provider gives no email for this account".into())
                    })?;
                    (email.to_string(), info.email_verified())
                }
            };
            if verified != Some(true) {
                return Err(AppError::Forbidden(format!(
                    "the provider has not verified {email}"
                )));
            }
            Ok((email, field("back")))
        }
    }
}

#[cfg(not(feature = "oidc"))]
mod imp {
    use super::*;

    /// Stands in for the relying party in builds without the feature.
    #[derive(Debug)]
    pub struct Client {
        _config: OidcConfig,
    }

    impl Client {
        /// Refuses: this build has no OpenID Connect.
        pub fn new(config: OidcConfig) -> anyhow::Result<Client> {
            anyhow::bail!(
                "auth.mode = \"oidc\" (issuer {}) needs rrd-server built with the oidc feature \
                 (cargo install --path server --features oidc)",
                config.issuer
            )
        }

        pub(crate) async fn start(&self, _: &AppState, _: &str) -> AppResult<(String, String)> {
            Err(AppError::NotFound(
                "no OpenID Connect login in this build".into(),
            ))
        }

        pub(crate) async fn finish(
            &self,
            _: &AppState,
            _: &str,
            _: &Callback,
        ) -> AppResult<(String, String)> {
            Err(AppError::NotFound(
                "no OpenID Connect login in this build".into(),
            ))
        }
    }
}

pub use imp::Client;

/// Sends the browser to the provider.
pub(crate) async fn start(state: &AppState, back: &str) -> AppResult<Response> {
    let client = state
        .oidc
        .as_ref()
        .ok_or_else(|| AppError::NotFound("no OpenID Connect login is configured".into()))?;
    let (url, flow) = client.start(state, back).await?;
    let mut r = Redirect::to(&url).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        state
            .sessions
            .cookie_header(FLOW_COOKIE, &flow, FLOW_SECONDS),
    );
    Ok(r)
}

/// `GET /auth/callback`: the provider sends the browser back here.
pub(crate) async fn callback(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(q): Query<Callback>,
) -> AppResult<Response> {
    let client = state
        .oidc
        .as_ref()
        .ok_or_else(|| AppError::NotFound("no OpenID Connect login is configured".into()))?;
    if let Some(e) = &q.error {
        return Err(AppError::Forbidden(format!(
            "the provider refused the login: {e}{}",
            q.error_description
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        )));
    }
    let flow = crate::auth::cookie(&headers, FLOW_COOKIE)
        .unwrap_or_default()
        .to_string();
    let (email, back) = client.finish(&state, &flow, &q).await?;
    state.admit(&email).await?;
    let mut r = Redirect::to(&crate::auth::safe_return(Some(&back))).into_response();
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        state.sessions.set_cookie(&email, (state.clock)()),
    );
    h.append(
        header::SET_COOKIE,
        state.sessions.cookie_header(FLOW_COOKIE, "", 0),
    );
    Ok(r)
}
