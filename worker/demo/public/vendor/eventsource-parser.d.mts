// Types of the vendored copy beside it: those of the pinned package it was copied from.
export * from "eventsource-parser";
