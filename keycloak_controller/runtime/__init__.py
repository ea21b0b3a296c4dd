"""Generic controller machinery on raw watch streams, modelled on controller-runtime.

Nothing in this package knows about Keycloak. See docs in each module and
/work/shared/design/controller-runtime.md for the semantics it copies.
"""
