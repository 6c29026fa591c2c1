"""pydcmkit: a DICOM networking toolkit with DCMTK- and ConQuest-compatible tools."""

__version__ = "0.1.0"

#: Implementation Class UID written into the File Meta Information and the A-ASSOCIATE items.
IMPLEMENTATION_CLASS_UID = "1.2.826.0.1.3680043.10.1394.1"
#: Implementation Version Name (at most 16 characters).
IMPLEMENTATION_VERSION_NAME = "PYDCMKIT_010"
#: Root under which pydcmkit generates new UIDs (``+fu`` file names, ``genuid``).
UID_ROOT = "1.2.826.0.1.3680043.10.1394.2."
