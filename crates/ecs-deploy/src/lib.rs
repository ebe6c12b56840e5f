//! `ecs-deploy`: register a task definition, roll it out to a service, wait on what ECS says,
//! smoke-check, and roll back to the last good revision when anything fails.
//!
//! Work in progress. This crate holds the decisions, free of I/O, so each is tested without a
//! server: how a rollout stands from DescribeServices answers ([`rollout`]), when to poll next
//! ([`backoff`]), and what smoke checks ask and whether an answer passes ([`smoke`]). The
//! action around them (inputs, SDK calls, waiting, rolling back) comes next.

pub mod backoff;
pub mod rollout;
pub mod smoke;
