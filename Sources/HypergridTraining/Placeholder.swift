// Placeholder: this target's code lands in a following commit.
