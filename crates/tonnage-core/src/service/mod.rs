//! Service: what the page's web worker answers (the Files panel's previews and archives), as
//! requests and replies over the layers below.

pub mod files;
