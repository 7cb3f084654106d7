//! The crate's error type.

use std::ops::Range;

/// Everything that can go wrong between graph arguments and exported data.
///
/// Messages are rrdtool 1.7.2's texts where rrdtool has one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A graph argument (`DEF:…`, `CDEF:…`, …) rrdtool rejects.
    #[error("{message}")]
    Syntax {
        /// rrdtool's message.
        message: String,
        /// Index of the argument among the graph arguments.
        arg: usize,
        /// Byte range of the offending part within the argument.
        span: Range<usize>,
    },
    /// A CDEF expression rrdtool rejects or cannot evaluate.
    #[error("{source}")]
    Rpn {
        /// The CDEF's variable name.
        vname: String,
        /// The expression.
        expr: String,
        /// What the RPN crate said (its span is within `expr`).
        #[source]
        source: rrd_rpn::Error,
    },
    /// An RRD file could not be opened.
    #[error("{source}")]
    Open {
        /// The file as named in the DEF.
        path: String,
        /// The cause.
        #[source]
        source: rrd_core::Error,
    },
    /// Fetching from an RRD file failed.
    #[error("{source}")]
    Fetch {
        /// The file as named in the DEF.
        path: String,
        /// The cause.
        #[source]
        source: rrd_core::Error,
    },
    /// The file has no data source of that name.
    #[error("No DS called '{ds}' in '{path}'")]
    NoSuchDs {
        /// The data source asked for.
        ds: String,
        /// The file.
        path: String,
    },
    /// A well-formed request rrdtool refuses (its message).
    #[error("{message}")]
    Refused {
        /// rrdtool's message, e.g. `no XPORT found, nothing to do`.
        message: String,
    },
    /// Something rrdtool accepts that this crate does not do (yet), or where
    /// rrdtool's result is undefined (it reads outside its buffers).
    #[error("{what} is not supported")]
    Unsupported {
        /// What, naming the feature.
        what: String,
    },
}

impl Error {
    /// The byte range of the offending token within its argument (or within
    /// the CDEF expression for [`Error::Rpn`]), when known.
    pub fn span(&self) -> Option<Range<usize>> {
        match self {
            Error::Syntax { span, .. } => Some(span.clone()),
            Error::Rpn { source, .. } => source.span().map(|s| s.start..s.end),
            _ => None,
        }
    }

    pub(crate) fn unsupported(what: impl Into<String>) -> Error {
        Error::Unsupported { what: what.into() }
    }

    pub(crate) fn refused(message: impl Into<String>) -> Error {
        Error::Refused {
            message: message.into(),
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
