/**
 * @idgraph/privilege — effective privilege computed from the identity graph alone: who holds each
 * admin role (directly, through a group, as a service app), the control edges between principals
 * (each with the grant that creates it, Okta's barrier applied), and shortest paths to Tier Zero.
 * See README.md for the model and its sources.
 */
export * from './model.js';
export * from './graph.js';
export * from './compute.js';
export * from './load.js';
export * from './opengraph.js';
