//! `ecs-deploy`: register a task definition, roll it out to a service, wait on what ECS says,
//! smoke-check, and roll back to the last good revision when anything fails.
//!
//! Work in progress. This crate holds the decisions, free of I/O, so each is tested without a
//! server: how a rollout stands from DescribeServices answers ([`rollout`]), when to poll next
//! ([`backoff`]), and what smoke checks ask and whether an answer passes ([`smoke`]); the
//! waiter ([`wait`]) polls ECS through the [`services::Services`] trait, which the SDK
//! implements and tests script. The action around them (inputs, register, update, run-task,
//! smoke requests, the rollback itself) comes next.

pub mod backoff;
pub mod deploy;
pub mod rollout;
#[cfg(test)]
mod scripted;
pub mod services;
pub mod smoke;
pub mod smoke_http;
pub mod wait;
