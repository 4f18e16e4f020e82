"""Download CT series from The Cancer Imaging Archive (TCIA) through the NBIA REST API v4.

The public collections need no login. The package has three modules:

* :mod:`ldct.tcia.manifest` - the ``.tcia`` manifest and the choice of slices in a series;
  pure Python, no network.
* :mod:`ldct.tcia.client` - :class:`~ldct.tcia.client.TciaClient`, the HTTP side: the
  ``getSeries`` and ``getImage`` calls, retries and resumable downloads (needs ``requests``).
* :mod:`ldct.tcia.cache` - :func:`~ldct.tcia.cache.fetch_series`: a series downloaded once
  into the cache, unpacked and checked (reads DICOM headers with ``pydicom``).

This package imports none of them, so that reading a manifest loads no network library.
"""
