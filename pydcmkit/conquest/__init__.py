"""Readers and writers for ConQuest dgate's configuration files (dgate.md §1.3, §2-4, §11).

* :mod:`.ini` -- dicom.ini: dgate's own look-up rules, every §2.2 parameter with its code
  default, ``put_param`` / ``delete_param`` rewrites, and the ``-w`` working-directory rules;
* :mod:`.amap` -- acrnema.map: entries, dgate's look-up with wildcards and substitution, the
  ``put_amap`` / ``delete_amap`` / ``write_amap`` edits, the comment pitfall handled;
* :mod:`.sql` -- dicom.sql: dgate's lexer and parser, the tables and their columns and DICOM
  tags, and the default schema used when there is no dicom.sql;
* :mod:`.sop` -- dgatesop.lst: accepted SOP classes, transfer syntaxes and AE titles, and the
  ``put_sop`` / ``delete_sop`` rewrites.

Missing or broken files raise :class:`ConquestConfigError` with dgate's exact output and exit
status 1.
"""

from .amap import AMAP_FORMAT, AcrNemaMap, AmapEntry, load_amap, parse_amap
from .errors import ConquestConfigError
from .ini import (CODE_DEFAULTS, ConfigLocation, DatabaseSettings, DicomIni, load_dicom_ini,
                  parse_dicom_ini, resolve_config_location)
from .printf import c_format
from .sop import SopEntry, SopList, load_sop_list, parse_sop_list
from .sql import (DEFAULT_DICOM_SQL, DicomSql, SqlField, SqlTable, default_dicom_sql,
                  load_dicom_sql, parse_dicom_sql)

__all__ = [
    "AMAP_FORMAT", "AcrNemaMap", "AmapEntry", "CODE_DEFAULTS", "ConfigLocation",
    "ConquestConfigError", "DEFAULT_DICOM_SQL", "DatabaseSettings", "DicomIni", "DicomSql",
    "SopEntry", "SopList", "SqlField", "SqlTable", "c_format", "default_dicom_sql", "load_amap",
    "load_dicom_ini", "load_dicom_sql", "load_sop_list", "parse_amap", "parse_dicom_ini",
    "parse_dicom_sql", "parse_sop_list", "resolve_config_location",
]
