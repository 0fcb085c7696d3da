//! The custom origins of the referendum tracks (`crate::governance::origins`).

use crate::Runtime;

impl crate::governance::origins::Config for Runtime {}
