//! The lease that keeps two deploys (or a deploy and a reap) of one name from interleaving:
//! an SSM parameter `/apps/<name>/lock` created with `Overwrite=false`, holding who took it and
//! until when, so that a crashed run blocks the next one only until the lease expires.

use std::future::Future;
use std::time::Duration;

use anyhow::bail;
use serde_json::json;

use crate::versions::aws::VersionsAws;
use crate::versions::clock;

/// A lease's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Who holds it: the deployment id (or operation) and the workflow run.
    pub holder: String,
    /// Epoch seconds after which anyone may take it.
    pub expires: i64,
}

impl Lease {
    /// The parameter's value.
    pub fn to_value(&self) -> String {
        json!({"holder": self.holder, "expires": self.expires}).to_string()
    }

    /// Parses a parameter's value; something unreadable counts as expired.
    pub fn parse(value: &str) -> Lease {
        let json: serde_json::Value = serde_json::from_str(value).unwrap_or_default();
        Lease {
            holder: json["holder"].as_str().unwrap_or_default().to_owned(),
            expires: json["expires"].as_i64().unwrap_or(0),
        }
    }
}

/// How to take the lease.
#[derive(Debug, Clone)]
pub struct LeaseSettings {
    /// The parameter.
    pub parameter: String,
    /// Who takes it.
    pub holder: String,
    /// How long it is held at most.
    pub ttl_seconds: i64,
    /// How long to wait for another holder to release it.
    pub wait: Duration,
}

/// What to do when the lease is found taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// It is ours (a re-run of the same version) or expired: take it over.
    TakeOver,
    /// Someone else holds it until then.
    Held(Lease),
}

/// Decides about a lease found in place.
pub fn judge(found: &Lease, holder: &str, now: i64) -> Taken {
    if found.holder == holder || found.expires <= now {
        Taken::TakeOver
    } else {
        Taken::Held(found.clone())
    }
}

/// Takes the lease, waiting up to `settings.wait` (polling every `poll`) for another holder;
/// returns whether another run held it first (what was read before may be stale).
pub async fn acquire<Sleep, F>(
    aws: &VersionsAws,
    settings: &LeaseSettings,
    poll: Duration,
    mut sleep: Sleep,
) -> anyhow::Result<bool>
where
    Sleep: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    let mut waited = Duration::ZERO;
    let mut contended = false;
    loop {
        let now = clock::now();
        let lease = Lease {
            holder: settings.holder.clone(),
            expires: now + settings.ttl_seconds,
        };
        if aws
            .create_parameter(&settings.parameter, &lease.to_value())
            .await?
        {
            return Ok(contended);
        }
        let Some(value) = aws.parameter(&settings.parameter).await? else {
            continue;
        };
        match judge(&Lease::parse(&value), &settings.holder, now) {
            Taken::TakeOver => {
                aws.delete_parameter(&settings.parameter).await?;
            }
            Taken::Held(other) => {
                contended = true;
                if waited >= settings.wait {
                    bail!(
                        "another run holds the lease {} ({}) until {}: two deploys of one name must not interleave; nothing was changed (waited {} s, input 'lease-wait-seconds')",
                        settings.parameter,
                        other.holder,
                        clock::timestamp_id(other.expires),
                        waited.as_secs()
                    );
                }
                sleep(poll).await;
                waited += poll;
            }
        }
    }
}

/// Releases the lease when it is still ours.
pub async fn release(aws: &VersionsAws, settings: &LeaseSettings) -> anyhow::Result<()> {
    if let Some(value) = aws.parameter(&settings.parameter).await?
        && Lease::parse(&value).holder == settings.holder
    {
        aws.delete_parameter(&settings.parameter).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_round_trips_and_is_judged() {
        let lease = Lease {
            holder: "v2 run 7".into(),
            expires: 1000,
        };
        assert_eq!(Lease::parse(&lease.to_value()), lease);
        assert_eq!(judge(&lease, "v3 run 8", 999), Taken::Held(lease.clone()));
        assert_eq!(judge(&lease, "v3 run 8", 1000), Taken::TakeOver, "expired");
        assert_eq!(judge(&lease, "v2 run 7", 10), Taken::TakeOver, "ours");
        assert_eq!(Lease::parse("garbage").expires, 0);
    }
}
