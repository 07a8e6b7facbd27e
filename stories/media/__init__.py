"""Pictures: what an upload must be and the files made from it (images, Pillow only), and
the content-addressed, append-only ``Picture`` rows that store them (pictures)."""
