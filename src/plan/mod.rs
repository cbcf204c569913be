//! Normalise, match, diff, order, render and mask: from two states to a plan.
