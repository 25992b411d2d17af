//! Configuration: what a user chose (charts, environment, overrides, options) and its checks,
//! the external endpoints written into the values, and the one definition of a credential.

pub mod config;
pub mod credentials;
pub mod external;
