//! The embeddable widget (placeholder until the widget is built).
