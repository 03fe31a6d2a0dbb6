"""The version of this SDK, in one place."""

SDK_VERSION = "0.3.0"
