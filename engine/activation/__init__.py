"""Activation: audiences leaving Kith.

Owns destinations (webhook, Segment-spec forward, file drop, messaging provider), segment syncs
(a full sync, then entered/exited deltas from the live membership, each person's record
versioned so a resend keeps its message id), broadcasts (one message to an audience through a
messaging destination, the audience split and a send log per person, `message_sent` events
through the commit path), consent checked at send time, and the delivery outbox (batched,
signed, paced, retried with backoff, dead-lettered). See docs/activation.md.
"""
