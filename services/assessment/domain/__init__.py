"""The assessment service's domain: plain Python, no nameko, kombu, eventlet or pymongo
(tests/shared/test_domain_purity.py) (R-13 … R-18, R-20, R-21, R-23, R-25).

Modules
-------

``scores``       points as integer hundredths (``to_cp``/``cp_text``) and the half-up rounding
``rubric``       the versioned rubric (``Rubric``, ``Indicator``, ``DEFAULT_RUBRIC``,
                 ``rubric_from_dict``): indicators grouped under R-15's five headings
``due``          who is due in a round (R-14, 第二十七条 transitional batches, R-18 re-assessment)
``rounds``       a round's life: creation from the due list, additions/removals with reasons,
                 scorer assignments, expert entries, publishing (frozen afterwards)
``inputs``       indicators filled in from ledger, reporting and supervision, with their source
``scoring``      combining several experts' scores (one documented rule) and the combined score
``grading``      R-16: fail / pass / excellent under the 20 % and budget caps, the tie rule
``consequences`` what publishing a grade causes (R-17, R-18, R-21, R-25)
``workbook``     the results workbook in Chinese (.xlsx bytes)
"""
