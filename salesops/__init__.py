"""What every part of salesops shares: its settings."""
