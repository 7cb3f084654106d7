//! The four Kinesis Data Streams calls the collector needs, over AWS's JSON
//! protocol (`application/x-amz-json-1.1`, `X-Amz-Target:
//! Kinesis_20131202.<Operation>`), signed with Signature Version 4.
//!
//! Written by hand rather than with the AWS SDK: four calls do not justify
//! its ~76 crates and C build, and every error the collector must react to
//! (throttling, an expired iterator, a rejected sequence number) is a
//! `__type` in the answer.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// AWS credentials.
#[derive(Clone)]
pub struct Credentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN`, for temporary credentials.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// From the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_SESSION_TOKEN`), else from the shared credentials file
    /// (`AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`, profile
    /// `AWS_PROFILE` or `default`). Instance roles, SSO and `credential_process`
    /// are not read: the error says so.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Credentials, String> {
        let id = env("AWS_ACCESS_KEY_ID").filter(|v| !v.is_empty());
        let secret = env("AWS_SECRET_ACCESS_KEY").filter(|v| !v.is_empty());
        if let (Some(id), Some(secret)) = (id, secret) {
            return Ok(Credentials {
                access_key_id: id,
                secret_access_key: secret,
                session_token: env("AWS_SESSION_TOKEN").filter(|v| !v.is_empty()),
            });
        }
        let file = env("AWS_SHARED_CREDENTIALS_FILE")
            .map(std::path::PathBuf::from)
            .or_else(|| env("HOME").map(|h| std::path::Path::new(&h).join(".aws/credentials")));
        let profile = env("AWS_PROFILE").unwrap_or_else(|| "default".into());
        let missing = || {
            format!(
                "no AWS credentials: set kinesis.access_key_id and kinesis.secret_access_key, \
                 or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or profile {profile:?} in the \
                 shared credentials file (instance roles, SSO and credential_process are not supported)"
            )
        };
        let Some(file) = file else {
            return Err(missing());
        };
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(missing()),
            Err(e) => return Err(format!("reading {}: {e}", file.display())),
        };
        parse_credentials_file(&text, &profile).ok_or_else(missing)
    }
}

/// The `[profile]` section of an AWS shared credentials file.
fn parse_credentials_file(text: &str, profile: &str) -> Option<Credentials> {
    let mut in_section = false;
    let (mut id, mut secret, mut token) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_section = name.trim() == profile;
            continue;
        }
        if !in_section {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let v = v.trim().to_string();
            match k.trim() {
                "aws_access_key_id" => id = Some(v),
                "aws_secret_access_key" => secret = Some(v),
                "aws_session_token" => token = Some(v),
                _ => {}
            }
        }
    }
    Some(Credentials {
        access_key_id: id?,
        secret_access_key: secret?,
        session_token: token,
    })
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length
    let mut m = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// The `Authorization` header of a Signature Version 4 request to `/`
/// with no query: `headers` are the signed ones, names in lower case
/// (must include `host` and `x-amz-date`); `amz_date` is
/// `YYYYMMDDTHHMMSSZ`.
pub fn authorization(
    creds: &Credentials,
    method: &str,
    region: &str,
    service: &str,
    amz_date: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> String {
    let mut hs: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
            (k.to_ascii_lowercase(), v)
        })
        .collect();
    hs.sort();
    let signed: Vec<&str> = hs.iter().map(|(k, _)| k.as_str()).collect();
    let signed = signed.join(";");
    let mut canonical = format!("{method}\n/\n\n");
    for (k, v) in &hs {
        canonical.push_str(k);
        canonical.push(':');
        canonical.push_str(v);
        canonical.push('\n');
    }
    canonical.push('\n');
    canonical.push_str(&signed);
    canonical.push('\n');
    canonical.push_str(&hex(&Sha256::digest(body)));
    let date = &amz_date[..8.min(amz_date.len())];
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let k = hmac(
        format!("AWS4{}", creds.secret_access_key).as_bytes(),
        date.as_bytes(),
    );
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    let k = hmac(&k, b"aws4_request");
    let sig = hex(&hmac(&k, to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={sig}",
        creds.access_key_id
    )
}

/// What a call came to, when not its answer.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Too many calls: wait and try again
    /// (`ProvisionedThroughputExceededException`, `LimitExceededException`,
    /// `ThrottlingException`, `KMSThrottlingException`).
    #[error("throttled: {0}")]
    Throttled(String),
    /// The shard iterator is older than five minutes.
    #[error("shard iterator expired: {0}")]
    ExpiredIterator(String),
    /// The stream or shard does not exist (any more).
    #[error("not found: {0}")]
    NotFound(String),
    /// A request the service refused as wrong (a sequence number not of
    /// this shard, say).
    #[error("refused: {kind}: {message}")]
    Invalid {
        /// The `__type`.
        kind: String,
        /// Its message.
        message: String,
    },
    /// The network, a 5xx, or an answer that could not be read: worth
    /// another try.
    #[error("{0}")]
    Transient(String),
}

impl ApiError {
    /// Whether trying again later may help.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            ApiError::Throttled(_) | ApiError::Transient(_) | ApiError::ExpiredIterator(_)
        )
    }
}

/// Classifies an error answer by its `__type` (which may carry a
/// `namespace#` prefix).
pub fn classify(status: u16, body: &[u8]) -> ApiError {
    #[derive(Deserialize)]
    struct E {
        #[serde(rename = "__type", default)]
        kind: String,
        #[serde(default, alias = "Message")]
        message: String,
    }
    let e: E = serde_json::from_slice(body).unwrap_or(E {
        kind: String::new(),
        message: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
    });
    let kind = e.kind.rsplit('#').next().unwrap_or("").to_string();
    let message = if e.message.is_empty() {
        format!("HTTP {status}")
    } else {
        e.message
    };
    match kind.as_str() {
        "ProvisionedThroughputExceededException"
        | "LimitExceededException"
        | "ThrottlingException"
        | "KMSThrottlingException"
        | "RequestLimitExceeded" => ApiError::Throttled(format!("{kind}: {message}")),
        "ExpiredIteratorException" => ApiError::ExpiredIterator(message),
        "ResourceNotFoundException" => ApiError::NotFound(message),
        _ if status >= 500 || status == 429 => {
            ApiError::Transient(format!("HTTP {status} {kind}: {message}"))
        }
        "" => ApiError::Transient(format!("HTTP {status}: {message}")),
        _ => ApiError::Invalid { kind, message },
    }
}

/// A shard as `ListShards` describes it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Shard {
    /// `shardId-000000000000`.
    pub shard_id: String,
    /// The shard it was split from or merged from.
    #[serde(default)]
    pub parent_shard_id: Option<String>,
    /// The other shard of a merge.
    #[serde(default)]
    pub adjacent_parent_shard_id: Option<String>,
    /// Its sequence numbers.
    #[serde(default)]
    pub sequence_number_range: Option<SequenceRange>,
}

/// A shard's sequence numbers.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct SequenceRange {
    /// Its first.
    pub starting_sequence_number: String,
    /// Its last, once it is closed.
    #[serde(default)]
    pub ending_sequence_number: Option<String>,
}

/// A record of `GetRecords`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KRecord {
    /// Opaque, increasing within the shard (56 digits in kinesalite).
    pub sequence_number: String,
    /// The payload, base64.
    pub data: String,
}

/// `GetRecords`'s answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Records {
    /// The records, in shard order.
    #[serde(default)]
    pub records: Vec<KRecord>,
    /// Where to read on; none once a closed shard is read to its end.
    #[serde(default)]
    pub next_shard_iterator: Option<String>,
    /// How far behind the shard's tip this read is.
    #[serde(default)]
    pub millis_behind_latest: Option<u64>,
}

/// Where to start reading a shard.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// Just after this sequence number.
    After(String),
    /// At its oldest record.
    TrimHorizon,
}

/// A Kinesis endpoint with credentials.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    url: reqwest::Url,
    host: String,
    region: String,
    creds: Credentials,
}

impl Client {
    /// A client of `endpoint` (`https://kinesis.REGION.amazonaws.com` when
    /// none is given).
    pub fn new(endpoint: Option<&str>, region: &str, creds: Credentials) -> Result<Client, String> {
        let endpoint = endpoint
            .map(str::to_string)
            .unwrap_or_else(|| format!("https://kinesis.{region}.amazonaws.com"));
        let url = reqwest::Url::parse(&endpoint)
            .map_err(|e| format!("kinesis endpoint {endpoint:?}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!(
                "kinesis endpoint {endpoint:?} is not an http:// or https:// address"
            ));
        }
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("starting the HTTP client: {e}"))?;
        Ok(Client {
            http,
            url,
            host,
            region: region.to_string(),
            creds,
        })
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        op: &str,
        body: serde_json::Value,
    ) -> Result<T, ApiError> {
        let body = serde_json::to_vec(&body).map_err(|e| ApiError::Transient(e.to_string()))?;
        let now = jiff::Timestamp::now();
        let amz_date = now.strftime("%Y%m%dT%H%M%SZ").to_string();
        let target = format!("Kinesis_20131202.{op}");
        let ctype = "application/x-amz-json-1.1";
        let mut signed = vec![
            ("content-type", ctype),
            ("host", self.host.as_str()),
            ("x-amz-date", amz_date.as_str()),
            ("x-amz-target", target.as_str()),
        ];
        if let Some(t) = &self.creds.session_token {
            signed.push(("x-amz-security-token", t.as_str()));
        }
        let auth = authorization(
            &self.creds,
            "POST",
            &self.region,
            "kinesis",
            &amz_date,
            &signed,
            &body,
        );
        let mut req = self
            .http
            .post(self.url.clone())
            .header("content-type", ctype)
            .header("x-amz-date", &amz_date)
            .header("x-amz-target", &target)
            .header("authorization", auth);
        if let Some(t) = &self.creds.session_token {
            req = req.header("x-amz-security-token", t);
        }
        let resp = req
            .body(body)
            .send()
            .await
            .map_err(|e| ApiError::Transient(format!("{op}: {e}")))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| ApiError::Transient(format!("{op}: reading the answer: {e}")))?;
        if status != 200 {
            return Err(classify(status, &bytes));
        }
        // some calls (CreateStream, SplitShard) answer an empty body
        let json: &[u8] = if bytes.is_empty() { b"{}" } else { &bytes };
        serde_json::from_slice(json)
            .map_err(|e| ApiError::Transient(format!("{op}: unreadable answer: {e}")))
    }

    /// Any call of the Kinesis JSON API (`op` such as `PutRecords`),
    /// answered as JSON: for tools and tests that feed or reshard a stream.
    pub async fn call_json(
        &self,
        op: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, ApiError> {
        self.call(op, body).await
    }

    /// Every shard of `stream` (`ListShards`, all pages), closed ones too
    /// while the stream still lists them.
    pub async fn list_shards(&self, stream: &str) -> Result<Vec<Shard>, ApiError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Page {
            #[serde(default)]
            shards: Vec<Shard>,
            #[serde(default)]
            next_token: Option<String>,
        }
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..10_000 {
            let body = match &token {
                // with a token, the stream must not be named
                Some(t) => serde_json::json!({ "NextToken": t }),
                None => serde_json::json!({ "StreamName": stream }),
            };
            let page: Page = self.call("ListShards", body).await?;
            all.extend(page.shards);
            match page.next_token {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => return Ok(all),
            }
        }
        Err(ApiError::Transient(
            "ListShards: more than 10,000 pages".into(),
        ))
    }

    /// An iterator of `shard` from `start`.
    pub async fn shard_iterator(
        &self,
        stream: &str,
        shard: &str,
        start: &Start,
    ) -> Result<String, ApiError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct It {
            shard_iterator: String,
        }
        let body = match start {
            Start::After(seq) => serde_json::json!({
                "StreamName": stream, "ShardId": shard,
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": seq,
            }),
            Start::TrimHorizon => serde_json::json!({
                "StreamName": stream, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON",
            }),
        };
        let it: It = self.call("GetShardIterator", body).await?;
        Ok(it.shard_iterator)
    }

    /// Up to `limit` records from `iterator`.
    pub async fn records(&self, iterator: &str, limit: u32) -> Result<Records, ApiError> {
        self.call(
            "GetRecords",
            serde_json::json!({ "ShardIterator": iterator, "Limit": limit }),
        )
        .await
    }
}

/// Whether sequence number `a` comes after `b` (decimal strings of any
/// length; Kinesis's exceed 128 bits).
pub fn seq_after(a: &str, b: &str) -> bool {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    (a.len(), a) > (b.len(), b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Credentials {
        Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        }
    }

    /// AWS's Signature Version 4 test suite: `get-vanilla` and
    /// `post-vanilla` (region us-east-1, service `service`).
    #[test]
    fn signatures_match_aws_test_suite() {
        let headers = [
            ("host", "example.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
        ];
        let prefix = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=";
        for (method, sig) in [
            (
                "GET",
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            ),
            (
                "POST",
                "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
            ),
        ] {
            let got = authorization(
                &example(),
                method,
                "us-east-1",
                "service",
                "20150830T123600Z",
                &headers,
                b"",
            );
            assert_eq!(got, format!("{prefix}{sig}"), "{method}");
        }
        // header order and case do not matter; a changed body does
        let swapped = [
            ("X-Amz-Date", "20150830T123600Z"),
            ("Host", "example.amazonaws.com"),
        ];
        let a = authorization(
            &example(),
            "POST",
            "us-east-1",
            "service",
            "20150830T123600Z",
            &swapped,
            b"",
        );
        assert!(a.ends_with("5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"));
        let b = authorization(
            &example(),
            "POST",
            "us-east-1",
            "service",
            "20150830T123600Z",
            &swapped,
            b"{}",
        );
        assert!(!b.ends_with("5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"));
    }

    #[test]
    fn errors_are_classified_by_type() {
        let t = |s, b: &str| classify(s, b.as_bytes());
        assert!(matches!(
            t(
                400,
                r#"{"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded"}"#
            ),
            ApiError::Throttled(_)
        ));
        assert!(matches!(
            t(
                400,
                r#"{"__type":"com.amazonaws.kinesis#ExpiredIteratorException","message":"x"}"#
            ),
            ApiError::ExpiredIterator(_)
        ));
        assert!(matches!(
            t(
                400,
                r#"{"__type":"ResourceNotFoundException","message":"x"}"#
            ),
            ApiError::NotFound(_)
        ));
        let e = t(
            400,
            r#"{"__type":"InvalidArgumentException","message":"bad seq"}"#,
        );
        assert!(matches!(&e, ApiError::Invalid { kind, .. } if kind == "InvalidArgumentException"));
        assert!(!e.retryable());
        assert!(matches!(t(503, "<html>"), ApiError::Transient(_)));
        assert!(t(500, r#"{"__type":"InternalFailure"}"#).retryable());
    }

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        let a = "49680919260154694157374206364228861031828609315278684162";
        let b = "49680919260154694157374206364228861031828609315278684163";
        assert!(seq_after(b, a));
        assert!(!seq_after(a, b));
        assert!(!seq_after(a, a));
        assert!(seq_after("10", "9"));
        assert!(!seq_after("009", "10"));
    }

    #[test]
    fn credentials_come_from_env_or_the_shared_file() {
        let dir = std::env::temp_dir().join(format!("rrd-kinesis-creds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("credentials");
        std::fs::write(
            &file,
            "[default]\naws_access_key_id = AKD\naws_secret_access_key = SKD\n\n[ci]\naws_access_key_id=AKC\naws_secret_access_key=SKC\naws_session_token=T\n",
        )
        .unwrap();
        let f = file.to_str().unwrap().to_string();
        let env = |profile: Option<&'static str>, id: Option<&'static str>| {
            let f = f.clone();
            move |k: &str| match k {
                "AWS_SHARED_CREDENTIALS_FILE" => Some(f.clone()),
                "AWS_PROFILE" => profile.map(String::from),
                "AWS_ACCESS_KEY_ID" => id.map(String::from),
                "AWS_SECRET_ACCESS_KEY" => id.map(|_| "SE".to_string()),
                _ => None,
            }
        };
        let c = Credentials::from_env(env(None, Some("AKE"))).unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), c.secret_access_key.as_str()),
            ("AKE", "SE")
        );
        let c = Credentials::from_env(env(None, None)).unwrap();
        assert_eq!(c.access_key_id, "AKD");
        let c = Credentials::from_env(env(Some("ci"), None)).unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), c.session_token.as_deref()),
            ("AKC", Some("T"))
        );
        let e = Credentials::from_env(env(Some("nope"), None)).unwrap_err();
        assert!(e.contains("no AWS credentials"), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
