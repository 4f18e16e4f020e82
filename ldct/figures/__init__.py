"""The study's figures as matplotlib figures: numpy arrays and table rows in, a Figure out."""
