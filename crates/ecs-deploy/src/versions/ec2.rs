//! The two EC2 questions a version deploy asks before changing anything: do the subnets and
//! security groups exist? Asked as SigV4-signed EC2 query calls (DescribeSubnets,
//! DescribeSecurityGroups, filtered by id so missing ones are simply absent): the EC2 SDK is
//! the largest AWS crate by far, and two read-only calls do not justify it.

use anyhow::{Context as _, bail};
use aws_credential_types::provider::ProvideCredentials as _;

/// A kind of EC2 resource the deploy checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Subnets (`subnet-…`).
    Subnet,
    /// Security groups (`sg-…`).
    SecurityGroup,
}

impl Kind {
    /// The query action, the filter name and the answer's id element.
    fn query(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Subnet => ("DescribeSubnets", "subnet-id", "subnetId"),
            Self::SecurityGroup => ("DescribeSecurityGroups", "group-id", "groupId"),
        }
    }
}

/// The form body of a filtered Describe call for `ids`.
fn form(kind: Kind, ids: &[String]) -> String {
    let (action, filter, _) = kind.query();
    let mut body = format!("Action={action}&Version=2016-11-15&Filter.1.Name={filter}");
    for (n, id) in ids.iter().enumerate() {
        let encoded: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
        body.push_str(&format!("&Filter.1.Value.{}={encoded}", n + 1));
    }
    body
}

/// The ids among `ids` that an answer does not list.
fn absent(kind: Kind, ids: &[String], answer: &str) -> Vec<String> {
    let element = kind.query().2;
    let listed: Vec<&str> = answer
        .split(&format!("<{element}>"))
        .skip(1)
        .filter_map(|rest| rest.split(&format!("</{element}>")).next())
        .collect();
    ids.iter()
        .filter(|id| !listed.contains(&id.as_str()))
        .cloned()
        .collect()
}

/// The ids among `ids` that do not exist in the configuration's account and region.
pub async fn missing(
    config: &action_aws::SdkConfig,
    kind: Kind,
    ids: &[String],
) -> anyhow::Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let region = config
        .region()
        .map(|r| r.as_ref().to_owned())
        .context("no AWS region")?;
    let endpoint = config
        .endpoint_url()
        .map(|e| format!("{}/", e.trim_end_matches('/')))
        .unwrap_or_else(|| format!("https://ec2.{region}.amazonaws.com/"));
    let credentials = config
        .credentials_provider()
        .context("no AWS credentials")?
        .provide_credentials()
        .await
        .context("cannot load AWS credentials")?;
    let body = form(kind, ids);
    let host = endpoint
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
        .to_owned();
    let identity = aws_smithy_runtime_api::client::identity::Identity::from(credentials);
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(&region)
        .name("ec2")
        .time(std::time::SystemTime::now())
        .settings(aws_sigv4::http_request::SigningSettings::default())
        .build()
        .context("signing parameters")?
        .into();
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let signable = aws_sigv4::http_request::SignableRequest::new(
        "POST",
        endpoint.as_str(),
        [("host", host.as_str()), ("content-type", content_type)].into_iter(),
        aws_sigv4::http_request::SignableBody::Bytes(body.as_bytes()),
    )
    .context("signable request")?;
    let (instructions, _) = aws_sigv4::http_request::sign(signable, &params)
        .context("signing the EC2 request")?
        .into_parts();
    let mut request = reqwest::Client::new()
        .post(&endpoint)
        .header("content-type", content_type)
        .body(body);
    for (name, value) in instructions.headers() {
        request = request.header(name, value);
    }
    let (action, _, _) = kind.query();
    let answer = request
        .send()
        .await
        .with_context(|| format!("EC2 {action}"))?;
    let status = answer.status();
    let text = answer
        .text()
        .await
        .with_context(|| format!("EC2 {action}"))?;
    if !status.is_success() {
        bail!("EC2 {action} answered {status}: {text}");
    }
    Ok(absent(kind, ids, &text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asks_by_filter_and_finds_the_absent_ids() {
        let ids = vec!["subnet-a".to_owned(), "subnet-b".to_owned()];
        assert_eq!(
            form(Kind::Subnet, &ids),
            "Action=DescribeSubnets&Version=2016-11-15&Filter.1.Name=subnet-id&Filter.1.Value.1=subnet-a&Filter.1.Value.2=subnet-b"
        );
        let answer = "<DescribeSubnetsResponse><subnetSet><item><subnetId>subnet-b</subnetId></item></subnetSet></DescribeSubnetsResponse>";
        assert_eq!(absent(Kind::Subnet, &ids, answer), ["subnet-a"]);
        assert!(absent(Kind::SecurityGroup, &[], "").is_empty());
    }
}
