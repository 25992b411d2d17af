//! Configuration: what a user chose (charts, environment, overrides, options) and its checks,
//! the external endpoints written into the values, the one definition of a credential, and
//! the planning choices (cloud, node type) as a user makes them.

pub mod config;
pub mod credentials;
pub mod external;
pub mod planning;
