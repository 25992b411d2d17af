//! Model: what the product knows before any configuration. The catalog of charts (with its key
//! index and users-sizing schema), the clouds' instance data and allocatable, and the registry
//! of planning options.

pub mod catalog;
pub mod cloud;
pub mod options;
