"""DICOM naming facts as DCMTK 3.6.7 knows them: UIDs, symbolic names, storage classes, prefixes.

Every table here was taken from the DCMTK 3.6.7 build installed from Debian (``libdcmdata.so.17``)
by calling the library itself -- ``dcmFindNameOfUID`` / ``dcmFindUIDFromName`` for the name table
(``uidNameMap`` in ``dcmdata/libsrc/dcuid.cc``), ``dcmSOPClassUIDToModality`` for the file-name
prefixes (``modalities[]`` in the same file), the exported ``dcmLongSCUStorageSOPClassUIDs`` array,
``dcmIsaStorageSOPClassUID(uid, ESSC_All)`` for the storage classes, and the ``DcmXfer``
constructor for the transfer syntax long names (``XferNames[]`` in ``dcmdata/libsrc/dcxfer.cc``).
The entries were checked against the public copy of ``dcuid.cc``/``dcxfer.cc`` (DCMTK/dcmtk, an older
revision: every name present there agrees) and against the tables of ``dcmrecv.md`` Appendix A/B.

DCMTK keeps one name table for every kind of UID (SOP classes, transfer syntaxes, coding schemes,
LDAP OIDs ...); names are exact and case-sensitive, no name occurs twice.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from types import MappingProxyType

# ----------------------------------------------------------------------------------------------
# The DCMTK name table (uidNameMap), one "<uid> <name> [<prefix>]" per line, ordered by UID.
# A third column marks a storage SOP class (dcmIsaStorageSOPClassUID(uid, ESSC_All) is true for
# exactly these 194 UIDs) and gives its short modality prefix (dcmSOPClassUIDToModality), used in
# dcmrecv/dcmqrscp file names.
# ----------------------------------------------------------------------------------------------
_UID_TABLE = """
1.2.840.10008.1.1 VerificationSOPClass
1.2.840.10008.1.2 LittleEndianImplicit
1.2.840.10008.1.2.1 LittleEndianExplicit
1.2.840.10008.1.2.1.99 DeflatedLittleEndianExplicit
1.2.840.10008.1.2.2 BigEndianExplicit
1.2.840.10008.1.2.4.50 JPEGBaseline
1.2.840.10008.1.2.4.51 JPEGExtended:Process2+4
1.2.840.10008.1.2.4.52 JPEGExtended:Process3+5
1.2.840.10008.1.2.4.53 JPEGSpectralSelection:Non-hierarchical:Process6+8
1.2.840.10008.1.2.4.54 JPEGSpectralSelection:Non-hierarchical:Process7+9
1.2.840.10008.1.2.4.55 JPEGFullProgression:Non-hierarchical:Process10+12
1.2.840.10008.1.2.4.56 JPEGFullProgression:Non-hierarchical:Process11+13
1.2.840.10008.1.2.4.57 JPEGLossless:Non-hierarchical:Process14
1.2.840.10008.1.2.4.58 JPEGLossless:Non-hierarchical:Process15
1.2.840.10008.1.2.4.59 JPEGExtended:Hierarchical:Process16+18
1.2.840.10008.1.2.4.60 JPEGExtended:Hierarchical:Process17+19
1.2.840.10008.1.2.4.61 JPEGSpectralSelection:Hierarchical:Process20+22
1.2.840.10008.1.2.4.62 JPEGSpectralSelection:Hierarchical:Process21+23
1.2.840.10008.1.2.4.63 JPEGFullProgression:Hierarchical:Process24+26
1.2.840.10008.1.2.4.64 JPEGFullProgression:Hierarchical:Process25+27
1.2.840.10008.1.2.4.65 JPEGLossless:Hierarchical:Process28
1.2.840.10008.1.2.4.66 JPEGLossless:Hierarchical:Process29
1.2.840.10008.1.2.4.70 JPEGLossless:Non-hierarchical-1stOrderPrediction
1.2.840.10008.1.2.4.80 JPEGLSLossless
1.2.840.10008.1.2.4.81 JPEGLSLossy
1.2.840.10008.1.2.4.90 JPEG2000LosslessOnly
1.2.840.10008.1.2.4.91 JPEG2000
1.2.840.10008.1.2.4.92 JPEG2000MulticomponentLosslessOnly
1.2.840.10008.1.2.4.93 JPEG2000Multicomponent
1.2.840.10008.1.2.4.94 JPIPReferenced
1.2.840.10008.1.2.4.95 JPIPReferencedDeflate
1.2.840.10008.1.2.4.100 MPEG2MainProfile@MainLevel
1.2.840.10008.1.2.4.101 MPEG2MainProfile@HighLevel
1.2.840.10008.1.2.4.102 MPEG4HighProfile/Level4.1
1.2.840.10008.1.2.4.103 MPEG4BDcompatibleHighProfile/Level4.1
1.2.840.10008.1.2.4.104 MPEG4HighProfile/Level4.2For2DVideo
1.2.840.10008.1.2.4.105 MPEG4HighProfile/Level4.2For3DVideo
1.2.840.10008.1.2.4.106 MPEG4StereoHighProfile/Level4.2
1.2.840.10008.1.2.4.107 HEVCMainProfile/Level5.1
1.2.840.10008.1.2.4.108 HEVCMain10Profile/Level5.1
1.2.840.10008.1.2.5 RLELossless
1.2.840.10008.1.2.6.1 RFC2557MIMEEncapsulation
1.2.840.10008.1.2.6.2 XMLEncoding
1.2.840.10008.1.2.7.1 SMPTEST2110-20:UncompressedProgressiveActiveVideo
1.2.840.10008.1.2.7.2 SMPTEST2110-20:UncompressedInterlacedActiveVideo
1.2.840.10008.1.2.7.3 SMPTEST2110-30:PCMDigitalAudio
1.2.840.10008.1.3.10 MediaStorageDirectoryStorage
1.2.840.10008.1.4.1.1 TalairachBrainAtlasFrameOfReference
1.2.840.10008.1.4.1.2 SPM2T1FrameOfReference
1.2.840.10008.1.4.1.3 SPM2T2FrameOfReference
1.2.840.10008.1.4.1.4 SPM2PDFrameOfReference
1.2.840.10008.1.4.1.5 SPM2EPIFrameOfReference
1.2.840.10008.1.4.1.6 SPM2FILT1FrameOfReference
1.2.840.10008.1.4.1.7 SPM2PETFrameOfReference
1.2.840.10008.1.4.1.8 SPM2TRANSMFrameOfReference
1.2.840.10008.1.4.1.9 SPM2SPECTFrameOfReference
1.2.840.10008.1.4.1.10 SPM2GRAYFrameOfReference
1.2.840.10008.1.4.1.11 SPM2WHITEFrameOfReference
1.2.840.10008.1.4.1.12 SPM2CSFFrameOfReference
1.2.840.10008.1.4.1.13 SPM2BRAINMASKFrameOfReference
1.2.840.10008.1.4.1.14 SPM2AVG305T1FrameOfReference
1.2.840.10008.1.4.1.15 SPM2AVG152T1FrameOfReference
1.2.840.10008.1.4.1.16 SPM2AVG152T2FrameOfReference
1.2.840.10008.1.4.1.17 SPM2AVG152PDFrameOfReference
1.2.840.10008.1.4.1.18 SPM2SINGLESUBJT1FrameOfReference
1.2.840.10008.1.4.2.1 ICBM452T1FrameOfReference
1.2.840.10008.1.4.2.2 ICBMSingleSubjectMRIFrameOfReference
1.2.840.10008.1.4.3.1 IEC61217FixedCoordinateSystemFrameOfReference
1.2.840.10008.1.4.3.2 StandardRoboticCoordinateSystemFrameOfReference
1.2.840.10008.1.4.3.3 IEC61217TableTopCoordinateSystemFrameOfReference
1.2.840.10008.1.4.4.1 SRI24FrameOfReferenc
1.2.840.10008.1.4.5.1 Colin27FrameOfReference
1.2.840.10008.1.4.6.1 LPBA40AIRFrameOfReference
1.2.840.10008.1.4.6.2 LPBA40FLIRTFrameOfReference
1.2.840.10008.1.4.6.3 LPBA40SPM5FrameOfReference
1.2.840.10008.1.5.1 HotIronColorPaletteSOPInstance
1.2.840.10008.1.5.2 PETColorPaletteSOPInstance
1.2.840.10008.1.5.3 HotMetalBlueColorPaletteSOPInstance
1.2.840.10008.1.5.4 PET20StepColorPaletteSOPInstance
1.2.840.10008.1.5.5 SpringColorPaletteSOPInstance
1.2.840.10008.1.5.6 SummerColorPaletteSOPInstance
1.2.840.10008.1.5.7 FallColorPaletteSOPInstance
1.2.840.10008.1.5.8 WinterColorPaletteSOPInstance
1.2.840.10008.1.9 RETIRED_BasicStudyContentNotificationSOPClass
1.2.840.10008.1.20.1 StorageCommitmentPushModelSOPClass
1.2.840.10008.1.20.1.1 StorageCommitmentPushModelSOPInstance
1.2.840.10008.1.20.2 RETIRED_StorageCommitmentPullModelSOPClass
1.2.840.10008.1.20.2.1 RETIRED_StorageCommitmentPullModelSOPInstance
1.2.840.10008.1.40 ProceduralEventLoggingSOPClass
1.2.840.10008.1.40.1 ProceduralEventLoggingSOPInstance
1.2.840.10008.1.42 SubstanceAdministrationLoggingSOPClass
1.2.840.10008.1.42.1 SubstanceAdministrationLoggingSOPInstance
1.2.840.10008.2.6.1 DICOMUIDRegistryCodingScheme
1.2.840.10008.2.16.4 DICOMControlledTerminologyCodingScheme
1.2.840.10008.3.1.1.1 StandardApplicationContext
1.2.840.10008.3.1.2.1.1 RETIRED_DetachedPatientManagementSOPClass
1.2.840.10008.3.1.2.1.4 RETIRED_DetachedPatientManagementMetaSOPClass
1.2.840.10008.3.1.2.2.1 RETIRED_DetachedVisitManagementSOPClass
1.2.840.10008.3.1.2.3.1 RETIRED_DetachedStudyManagementSOPClass
1.2.840.10008.3.1.2.3.2 RETIRED_StudyComponentManagementSOPClass
1.2.840.10008.3.1.2.3.3 ModalityPerformedProcedureStepSOPClass
1.2.840.10008.3.1.2.3.4 ModalityPerformedProcedureStepRetrieveSOPClass
1.2.840.10008.3.1.2.3.5 ModalityPerformedProcedureStepNotificationSOPClass
1.2.840.10008.3.1.2.5.1 RETIRED_DetachedResultsManagementSOPClass
1.2.840.10008.3.1.2.5.4 RETIRED_DetachedResultsManagementMetaSOPClass
1.2.840.10008.3.1.2.5.5 RETIRED_DetachedStudyManagementMetaSOPClass
1.2.840.10008.3.1.2.6.1 RETIRED_DetachedInterpretationManagementSOPClass
1.2.840.10008.4.2 StorageServiceClass
1.2.840.10008.5.1.1.1 BasicFilmSessionSOPClass
1.2.840.10008.5.1.1.2 BasicFilmBoxSOPClass
1.2.840.10008.5.1.1.4 BasicGrayscaleImageBoxSOPClass
1.2.840.10008.5.1.1.4.1 BasicColorImageBoxSOPClass
1.2.840.10008.5.1.1.4.2 RETIRED_ReferencedImageBoxSOPClass
1.2.840.10008.5.1.1.9 BasicGrayscalePrintManagementMetaSOPClass
1.2.840.10008.5.1.1.9.1 RETIRED_ReferencedGrayscalePrintManagementMetaSOPClass
1.2.840.10008.5.1.1.14 PrintJobSOPClass
1.2.840.10008.5.1.1.15 BasicAnnotationBoxSOPClass
1.2.840.10008.5.1.1.16 PrinterSOPClass
1.2.840.10008.5.1.1.16.376 PrinterConfigurationRetrievalSOPClass
1.2.840.10008.5.1.1.17 PrinterSOPInstance
1.2.840.10008.5.1.1.17.376 PrinterConfigurationRetrievalSOPInstance
1.2.840.10008.5.1.1.18 BasicColorPrintManagementMetaSOPClass
1.2.840.10008.5.1.1.18.1 RETIRED_ReferencedColorPrintManagementMetaSOPClass
1.2.840.10008.5.1.1.22 VOILUTBoxSOPClass
1.2.840.10008.5.1.1.23 PresentationLUTSOPClass
1.2.840.10008.5.1.1.24 RETIRED_ImageOverlayBoxSOPClass
1.2.840.10008.5.1.1.24.1 RETIRED_BasicPrintImageOverlayBoxSOPClass
1.2.840.10008.5.1.1.25 RETIRED_PrintQueueSOPInstance
1.2.840.10008.5.1.1.26 RETIRED_PrintQueueManagementSOPClass
1.2.840.10008.5.1.1.27 RETIRED_StoredPrintStorage SP
1.2.840.10008.5.1.1.29 RETIRED_HardcopyGrayscaleImageStorage HG
1.2.840.10008.5.1.1.30 RETIRED_HardcopyColorImageStorage HC
1.2.840.10008.5.1.1.31 RETIRED_PullPrintRequestSOPClass
1.2.840.10008.5.1.1.32 RETIRED_PullStoredPrintManagementMetaSOPClass
1.2.840.10008.5.1.1.33 MediaCreationManagementSOPClass
1.2.840.10008.5.1.1.40 DisplaySystemSOPClass
1.2.840.10008.5.1.1.40.1 DisplaySystemSOPInstance
1.2.840.10008.5.1.4.1.1.1 ComputedRadiographyImageStorage CR
1.2.840.10008.5.1.4.1.1.1.1 DigitalXRayImageStorageForPresentation DX
1.2.840.10008.5.1.4.1.1.1.1.1 DigitalXRayImageStorageForProcessing DP
1.2.840.10008.5.1.4.1.1.1.2 DigitalMammographyXRayImageStorageForPresentation DXm
1.2.840.10008.5.1.4.1.1.1.2.1 DigitalMammographyXRayImageStorageForProcessing DPm
1.2.840.10008.5.1.4.1.1.1.3 DigitalIntraOralXRayImageStorageForPresentation DXo
1.2.840.10008.5.1.4.1.1.1.3.1 DigitalIntraOralXRayImageStorageForProcessing DPo
1.2.840.10008.5.1.4.1.1.2 CTImageStorage CT
1.2.840.10008.5.1.4.1.1.2.1 EnhancedCTImageStorage CTe
1.2.840.10008.5.1.4.1.1.2.2 LegacyConvertedEnhancedCTImageStorage CTl
1.2.840.10008.5.1.4.1.1.3 RETIRED_UltrasoundMultiframeImageStorage USf
1.2.840.10008.5.1.4.1.1.3.1 UltrasoundMultiframeImageStorage USm
1.2.840.10008.5.1.4.1.1.4 MRImageStorage MR
1.2.840.10008.5.1.4.1.1.4.1 EnhancedMRImageStorage MRe
1.2.840.10008.5.1.4.1.1.4.2 MRSpectroscopyStorage MRs
1.2.840.10008.5.1.4.1.1.4.3 EnhancedMRColorImageStorage MRc
1.2.840.10008.5.1.4.1.1.4.4 LegacyConvertedEnhancedMRImageStorage MRl
1.2.840.10008.5.1.4.1.1.5 RETIRED_NuclearMedicineImageStorage NMr
1.2.840.10008.5.1.4.1.1.6 RETIRED_UltrasoundImageStorage USr
1.2.840.10008.5.1.4.1.1.6.1 UltrasoundImageStorage US
1.2.840.10008.5.1.4.1.1.6.2 EnhancedUSVolumeStorage USe
1.2.840.10008.5.1.4.1.1.7 SecondaryCaptureImageStorage SC
1.2.840.10008.5.1.4.1.1.7.1 MultiframeSingleBitSecondaryCaptureImageStorage SCs
1.2.840.10008.5.1.4.1.1.7.2 MultiframeGrayscaleByteSecondaryCaptureImageStorage SCb
1.2.840.10008.5.1.4.1.1.7.3 MultiframeGrayscaleWordSecondaryCaptureImageStorage SCw
1.2.840.10008.5.1.4.1.1.7.4 MultiframeTrueColorSecondaryCaptureImageStorage SCc
1.2.840.10008.5.1.4.1.1.8 RETIRED_StandaloneOverlayStorage OV
1.2.840.10008.5.1.4.1.1.9 RETIRED_StandaloneCurveStorage CV
1.2.840.10008.5.1.4.1.1.9.1 DRAFT_WaveformStorage WV_d
1.2.840.10008.5.1.4.1.1.9.1.1 TwelveLeadECGWaveformStorage TLE
1.2.840.10008.5.1.4.1.1.9.1.2 GeneralECGWaveformStorage ECG
1.2.840.10008.5.1.4.1.1.9.1.3 AmbulatoryECGWaveformStorage ECA
1.2.840.10008.5.1.4.1.1.9.2.1 HemodynamicWaveformStorage WVh
1.2.840.10008.5.1.4.1.1.9.3.1 CardiacElectrophysiologyWaveformStorage WVc
1.2.840.10008.5.1.4.1.1.9.4.1 BasicVoiceAudioWaveformStorage AUV
1.2.840.10008.5.1.4.1.1.9.4.2 GeneralAudioWaveformStorage AUG
1.2.840.10008.5.1.4.1.1.9.5.1 ArterialPulseWaveformStorage WVa
1.2.840.10008.5.1.4.1.1.9.6.1 RespiratoryWaveformStorage WVr
1.2.840.10008.5.1.4.1.1.9.6.2 MultichannelRespiratoryWaveformStorage WVm
1.2.840.10008.5.1.4.1.1.9.7.1 RoutineScalpElectroencephalogramWaveformStorage EEG
1.2.840.10008.5.1.4.1.1.9.7.2 ElectromyogramWaveformStorage EMG
1.2.840.10008.5.1.4.1.1.9.7.3 ElectrooculogramWaveformStorage EOG
1.2.840.10008.5.1.4.1.1.9.7.4 SleepElectroencephalogramWaveformStorage WVs
1.2.840.10008.5.1.4.1.1.9.8.1 BodyPositionWaveformStorage WVb
1.2.840.10008.5.1.4.1.1.10 RETIRED_StandaloneModalityLUTStorage ML
1.2.840.10008.5.1.4.1.1.11 RETIRED_StandaloneVOILUTStorage VO
1.2.840.10008.5.1.4.1.1.11.1 GrayscaleSoftcopyPresentationStateStorage PSg
1.2.840.10008.5.1.4.1.1.11.2 ColorSoftcopyPresentationStateStorage PSc
1.2.840.10008.5.1.4.1.1.11.3 PseudoColorSoftcopyPresentationStateStorage PSp
1.2.840.10008.5.1.4.1.1.11.4 BlendingSoftcopyPresentationStateStorage PSb
1.2.840.10008.5.1.4.1.1.11.5 XAXRFGrayscaleSoftcopyPresentationStateStorage PSx
1.2.840.10008.5.1.4.1.1.11.6 GrayscalePlanarMPRVolumetricPresentationStateStorage VPg
1.2.840.10008.5.1.4.1.1.11.7 CompositingPlanarMPRVolumetricPresentationStateStorage VPc
1.2.840.10008.5.1.4.1.1.11.8 AdvancedBlendingPresentationStateStorage PSa
1.2.840.10008.5.1.4.1.1.11.9 VolumeRenderingVolumetricPresentationStateStorage VPv
1.2.840.10008.5.1.4.1.1.11.10 SegmentedVolumeRenderingVolumetricPresentationStateStorage VPs
1.2.840.10008.5.1.4.1.1.11.11 MultipleVolumeRenderingVolumetricPresentationStateStorage VPm
1.2.840.10008.5.1.4.1.1.12.1 XRayAngiographicImageStorage XA
1.2.840.10008.5.1.4.1.1.12.1.1 EnhancedXAImageStorage XAe
1.2.840.10008.5.1.4.1.1.12.2 XRayRadiofluoroscopicImageStorage RF
1.2.840.10008.5.1.4.1.1.12.2.1 EnhancedXRFImageStorage RFe
1.2.840.10008.5.1.4.1.1.12.3 RETIRED_XRayAngiographicBiPlaneImageStorage XB
1.2.840.10008.5.1.4.1.1.13.1.1 XRay3DAngiographicImageStorage XA3
1.2.840.10008.5.1.4.1.1.13.1.2 XRay3DCraniofacialImageStorage XC3
1.2.840.10008.5.1.4.1.1.13.1.3 BreastTomosynthesisImageStorage BT
1.2.840.10008.5.1.4.1.1.13.1.4 BreastProjectionXRayImageStorageForPresentation BX
1.2.840.10008.5.1.4.1.1.13.1.5 BreastProjectionXRayImageStorageForProcessing BP
1.2.840.10008.5.1.4.1.1.14.1 IntravascularOpticalCoherenceTomographyImageStorageForPresentation OCt
1.2.840.10008.5.1.4.1.1.14.2 IntravascularOpticalCoherenceTomographyImageStorageForProcessing OCp
1.2.840.10008.5.1.4.1.1.20 NuclearMedicineImageStorage NM
1.2.840.10008.5.1.4.1.1.30 ParametricMapStorage PM
1.2.840.10008.5.1.4.1.1.66 RawDataStorage RAW
1.2.840.10008.5.1.4.1.1.66.1 SpatialRegistrationStorage RGs
1.2.840.10008.5.1.4.1.1.66.2 SpatialFiducialsStorage FID
1.2.840.10008.5.1.4.1.1.66.3 DeformableSpatialRegistrationStorage RGd
1.2.840.10008.5.1.4.1.1.66.4 SegmentationStorage SG
1.2.840.10008.5.1.4.1.1.66.5 SurfaceSegmentationStorage SGs
1.2.840.10008.5.1.4.1.1.66.6 TractographyResultsStorage TR
1.2.840.10008.5.1.4.1.1.67 RealWorldValueMappingStorage RWM
1.2.840.10008.5.1.4.1.1.68.1 SurfaceScanMeshStorage SSm
1.2.840.10008.5.1.4.1.1.68.2 SurfaceScanPointCloudStorage SSp
1.2.840.10008.5.1.4.1.1.77.1 RETIRED_VLImageStorage VLr
1.2.840.10008.5.1.4.1.1.77.1.1 VLEndoscopicImageStorage VLe
1.2.840.10008.5.1.4.1.1.77.1.1.1 VideoEndoscopicImageStorage VVe
1.2.840.10008.5.1.4.1.1.77.1.2 VLMicroscopicImageStorage VLm
1.2.840.10008.5.1.4.1.1.77.1.2.1 VideoMicroscopicImageStorage VVm
1.2.840.10008.5.1.4.1.1.77.1.3 VLSlideCoordinatesMicroscopicImageStorage VLs
1.2.840.10008.5.1.4.1.1.77.1.4 VLPhotographicImageStorage VLp
1.2.840.10008.5.1.4.1.1.77.1.4.1 VideoPhotographicImageStorage VVp
1.2.840.10008.5.1.4.1.1.77.1.5.1 OphthalmicPhotography8BitImageStorage OPb
1.2.840.10008.5.1.4.1.1.77.1.5.2 OphthalmicPhotography16BitImageStorage OPw
1.2.840.10008.5.1.4.1.1.77.1.5.3 StereometricRelationshipStorage OPr
1.2.840.10008.5.1.4.1.1.77.1.5.4 OphthalmicTomographyImageStorage OPt
1.2.840.10008.5.1.4.1.1.77.1.5.5 WideFieldOphthalmicPhotographyStereographicProjectionImageStorage OWs
1.2.840.10008.5.1.4.1.1.77.1.5.6 WideFieldOphthalmicPhotography3DCoordinatesImageStorage OW3
1.2.840.10008.5.1.4.1.1.77.1.5.7 OphthalmicOpticalCoherenceTomographyEnFaceImageStorage OCe
1.2.840.10008.5.1.4.1.1.77.1.5.8 OphthalmicOpticalCoherenceTomographyBscanVolumeAnalysisStorage OCb
1.2.840.10008.5.1.4.1.1.77.1.6 VLWholeSlideMicroscopyImageStorage VLw
1.2.840.10008.5.1.4.1.1.77.1.7 DermoscopicPhotographyImageStorage VLd
1.2.840.10008.5.1.4.1.1.77.2 RETIRED_VLMultiframeImageStorage VMr
1.2.840.10008.5.1.4.1.1.78.1 LensometryMeasurementsStorage OPl
1.2.840.10008.5.1.4.1.1.78.2 AutorefractionMeasurementsStorage OPa
1.2.840.10008.5.1.4.1.1.78.3 KeratometryMeasurementsStorage OPk
1.2.840.10008.5.1.4.1.1.78.4 SubjectiveRefractionMeasurementsStorage OPs
1.2.840.10008.5.1.4.1.1.78.5 VisualAcuityMeasurementsStorage OPv
1.2.840.10008.5.1.4.1.1.78.6 SpectaclePrescriptionReportStorage SRs
1.2.840.10008.5.1.4.1.1.78.7 OphthalmicAxialMeasurementsStorage OPx
1.2.840.10008.5.1.4.1.1.78.8 IntraocularLensCalculationsStorage OPc
1.2.840.10008.5.1.4.1.1.79.1 MacularGridThicknessAndVolumeReportStorage SRg
1.2.840.10008.5.1.4.1.1.80.1 OphthalmicVisualFieldStaticPerimetryMeasurementsStorage OPp
1.2.840.10008.5.1.4.1.1.81.1 OphthalmicThicknessMapStorage OPm
1.2.840.10008.5.1.4.1.1.82.1 CornealTopographyMapStorage CM
1.2.840.10008.5.1.4.1.1.88.1 DRAFT_SRTextStorage SR_t
1.2.840.10008.5.1.4.1.1.88.2 DRAFT_SRAudioStorage SR_a
1.2.840.10008.5.1.4.1.1.88.3 DRAFT_SRDetailStorage SR_d
1.2.840.10008.5.1.4.1.1.88.4 DRAFT_SRComprehensiveStorage SR_c
1.2.840.10008.5.1.4.1.1.88.11 BasicTextSRStorage SRt
1.2.840.10008.5.1.4.1.1.88.22 EnhancedSRStorage SRe
1.2.840.10008.5.1.4.1.1.88.33 ComprehensiveSRStorage SRc
1.2.840.10008.5.1.4.1.1.88.34 Comprehensive3DSRStorage SR3
1.2.840.10008.5.1.4.1.1.88.35 ExtensibleSRStorage SRx
1.2.840.10008.5.1.4.1.1.88.40 ProcedureLogStorage SRp
1.2.840.10008.5.1.4.1.1.88.50 MammographyCADSRStorage SRm
1.2.840.10008.5.1.4.1.1.88.59 KeyObjectSelectionDocumentStorage KO
1.2.840.10008.5.1.4.1.1.88.65 ChestCADSRStorage SRh
1.2.840.10008.5.1.4.1.1.88.67 XRayRadiationDoseSRStorage SRd
1.2.840.10008.5.1.4.1.1.88.68 RadiopharmaceuticalRadiationDoseSRStorage SRr
1.2.840.10008.5.1.4.1.1.88.69 ColonCADSRStorage SRo
1.2.840.10008.5.1.4.1.1.88.70 ImplantationPlanSRDocumentStorage SRi
1.2.840.10008.5.1.4.1.1.88.71 AcquisitionContextSRStorage SRa
1.2.840.10008.5.1.4.1.1.88.72 SimplifiedAdultEchoSRStorage SRu
1.2.840.10008.5.1.4.1.1.88.73 PatientRadiationDoseSRStorage SRq
1.2.840.10008.5.1.4.1.1.88.74 PlannedImagingAgentAdministrationSRStorage SRj
1.2.840.10008.5.1.4.1.1.88.75 PerformedImagingAgentAdministrationSRStorage SRi
1.2.840.10008.5.1.4.1.1.88.76 EnhancedXRayRadiationDoseSRStorage SRde
1.2.840.10008.5.1.4.1.1.90.1 ContentAssessmentResultsStorage AS
1.2.840.10008.5.1.4.1.1.91.1 MicroscopyBulkSimpleAnnotationsStorage MAs
1.2.840.10008.5.1.4.1.1.104.1 EncapsulatedPDFStorage PDF
1.2.840.10008.5.1.4.1.1.104.2 EncapsulatedCDAStorage CDA
1.2.840.10008.5.1.4.1.1.104.3 EncapsulatedSTLStorage STL
1.2.840.10008.5.1.4.1.1.104.4 EncapsulatedOBJStorage OBJ
1.2.840.10008.5.1.4.1.1.104.5 EncapsulatedMTLStorage MTL
1.2.840.10008.5.1.4.1.1.128 PositronEmissionTomographyImageStorage PI
1.2.840.10008.5.1.4.1.1.128.1 LegacyConvertedEnhancedPETImageStorage PIl
1.2.840.10008.5.1.4.1.1.129 RETIRED_StandalonePETCurveStorage PC
1.2.840.10008.5.1.4.1.1.130 EnhancedPETImageStorage PIe
1.2.840.10008.5.1.4.1.1.131 BasicStructuredDisplayStorage SD
1.2.840.10008.5.1.4.1.1.200.1 CTDefinedProcedureProtocolStorage PPcd
1.2.840.10008.5.1.4.1.1.200.2 CTPerformedProcedureProtocolStorage PPcp
1.2.840.10008.5.1.4.1.1.200.3 ProtocolApprovalStorage PA
1.2.840.10008.5.1.4.1.1.200.4 FINDProtocolApprovalInformationModel
1.2.840.10008.5.1.4.1.1.200.5 MOVEProtocolApprovalInformationModel
1.2.840.10008.5.1.4.1.1.200.6 GETProtocolApprovalInformationModel
1.2.840.10008.5.1.4.1.1.200.7 XADefinedProcedureProtocolStorage PPxd
1.2.840.10008.5.1.4.1.1.200.8 XAPerformedProcedureProtocolStorage PPxp
1.2.840.10008.5.1.4.1.1.481.1 RTImageStorage RI
1.2.840.10008.5.1.4.1.1.481.2 RTDoseStorage RD
1.2.840.10008.5.1.4.1.1.481.3 RTStructureSetStorage RS
1.2.840.10008.5.1.4.1.1.481.4 RTBeamsTreatmentRecordStorage RTb
1.2.840.10008.5.1.4.1.1.481.5 RTPlanStorage RP
1.2.840.10008.5.1.4.1.1.481.6 RTBrachyTreatmentRecordStorage RTr
1.2.840.10008.5.1.4.1.1.481.7 RTTreatmentSummaryRecordStorage RTs
1.2.840.10008.5.1.4.1.1.481.8 RTIonPlanStorage RPi
1.2.840.10008.5.1.4.1.1.481.9 RTIonBeamsTreatmentRecordStorage RTi
1.2.840.10008.5.1.4.1.1.481.10 RTPhysicianIntentStorage RIp
1.2.840.10008.5.1.4.1.1.481.11 RTSegmentAnnotationStorage RAs
1.2.840.10008.5.1.4.1.1.481.12 RTRadiationSetStorage RSe
1.2.840.10008.5.1.4.1.1.481.13 CArmPhotonElectronRadiationStorage Rca
1.2.840.10008.5.1.4.1.1.481.14 TomotherapeuticRadiationStorage Rto
1.2.840.10008.5.1.4.1.1.481.15 RoboticArmRadiationStorage Rra
1.2.840.10008.5.1.4.1.1.481.16 RTRadiationRecordSetStorage RSr
1.2.840.10008.5.1.4.1.1.481.17 RTRadiationSalvageRecordStorage RRs
1.2.840.10008.5.1.4.1.1.481.18 TomotherapeuticRadiationRecordStorage RRt
1.2.840.10008.5.1.4.1.1.481.19 CArmPhotonElectronRadiationRecordStorage RRc
1.2.840.10008.5.1.4.1.1.481.20 RoboticRadiationRecordStorage RRr
1.2.840.10008.5.1.4.1.1.481.21 RTRadiationSetDeliveryInstructionStorage RSd
1.2.840.10008.5.1.4.1.1.481.22 RTTreatmentPreparationStorage RTp
1.2.840.10008.5.1.4.1.1.501.1 DICOS_CTImageStorage CTs
1.2.840.10008.5.1.4.1.1.501.2.1 DICOS_DigitalXRayImageStorageForPresentation DXs
1.2.840.10008.5.1.4.1.1.501.2.2 DICOS_DigitalXRayImageStorageForProcessing DPs
1.2.840.10008.5.1.4.1.1.501.3 DICOS_ThreatDetectionReportStorage TDR
1.2.840.10008.5.1.4.1.1.501.4 DICOS_2DAITStorage AI2
1.2.840.10008.5.1.4.1.1.501.5 DICOS_3DAITStorage AI3
1.2.840.10008.5.1.4.1.1.501.6 DICOS_QuadrupoleResonanceStorage QR
1.2.840.10008.5.1.4.1.1.601.1 DICONDE_EddyCurrentImageStorage EC
1.2.840.10008.5.1.4.1.1.601.2 DICONDE_EddyCurrentMultiframeImageStorage ECm
1.2.840.10008.5.1.4.1.2.1.1 FINDPatientRootQueryRetrieveInformationModel
1.2.840.10008.5.1.4.1.2.1.2 MOVEPatientRootQueryRetrieveInformationModel
1.2.840.10008.5.1.4.1.2.1.3 GETPatientRootQueryRetrieveInformationModel
1.2.840.10008.5.1.4.1.2.2.1 FINDStudyRootQueryRetrieveInformationModel
1.2.840.10008.5.1.4.1.2.2.2 MOVEStudyRootQueryRetrieveInformationModel
1.2.840.10008.5.1.4.1.2.2.3 GETStudyRootQueryRetrieveInformationModel
1.2.840.10008.5.1.4.1.2.3.1 RETIRED_FINDPatientStudyOnlyQueryRetrieveInformationModel
1.2.840.10008.5.1.4.1.2.3.2 RETIRED_MOVEPatientStudyOnlyQueryRetrieveInformationModel
1.2.840.10008.5.1.4.1.2.3.3 RETIRED_GETPatientStudyOnlyQueryRetrieveInformationModel
1.2.840.10008.5.1.4.1.2.4.2 MOVECompositeInstanceRootRetrieve
1.2.840.10008.5.1.4.1.2.4.3 GETCompositeInstanceRootRetrieve
1.2.840.10008.5.1.4.1.2.5.3 GETCompositeInstanceRetrieveWithoutBulkData
1.2.840.10008.5.1.4.20.1 FINDDefinedProcedureProtocolInformationModel
1.2.840.10008.5.1.4.20.2 MOVEDefinedProcedureProtocolInformationModel
1.2.840.10008.5.1.4.20.3 GETDefinedProcedureProtocolInformationModel
1.2.840.10008.5.1.4.31 FINDModalityWorklistInformationModel
1.2.840.10008.5.1.4.32 RETIRED_GeneralPurposeWorklistManagementMetaSOPClass
1.2.840.10008.5.1.4.32.1 RETIRED_FINDGeneralPurposeWorklistInformationModel
1.2.840.10008.5.1.4.32.2 RETIRED_GeneralPurposeScheduledProcedureStepSOPClass
1.2.840.10008.5.1.4.32.3 RETIRED_GeneralPurposePerformedProcedureStepSOPClass
1.2.840.10008.5.1.4.33 InstanceAvailabilityNotificationSOPClass
1.2.840.10008.5.1.4.34.1 DRAFT_RTBeamsDeliveryInstructionStorage RB_d
1.2.840.10008.5.1.4.34.2 DRAFT_RTConventionalMachineVerification
1.2.840.10008.5.1.4.34.3 DRAFT_RTIonMachineVerification
1.2.840.10008.5.1.4.34.4 DRAFT_UnifiedWorklistAndProcedureStepServiceClass
1.2.840.10008.5.1.4.34.4.1 DRAFT_UnifiedProcedureStepPushSOPClass
1.2.840.10008.5.1.4.34.4.2 DRAFT_UnifiedProcedureStepWatchSOPClass
1.2.840.10008.5.1.4.34.4.3 DRAFT_UnifiedProcedureStepPullSOPClass
1.2.840.10008.5.1.4.34.4.4 DRAFT_UnifiedProcedureStepEventSOPClass
1.2.840.10008.5.1.4.34.5 UPSGlobalSubscriptionSOPInstance
1.2.840.10008.5.1.4.34.5.1 UPSFilteredGlobalSubscriptionSOPInstance
1.2.840.10008.5.1.4.34.6 UnifiedWorklistAndProcedureStepServiceClass
1.2.840.10008.5.1.4.34.6.1 UnifiedProcedureStepPushSOPClass
1.2.840.10008.5.1.4.34.6.2 UnifiedProcedureStepWatchSOPClass
1.2.840.10008.5.1.4.34.6.3 UnifiedProcedureStepPullSOPClass
1.2.840.10008.5.1.4.34.6.4 UnifiedProcedureStepEventSOPClass
1.2.840.10008.5.1.4.34.6.5 UnifiedProcedureStepQuerySOPClass
1.2.840.10008.5.1.4.34.7 RTBeamsDeliveryInstructionStorage RTd
1.2.840.10008.5.1.4.34.8 RTConventionalMachineVerification
1.2.840.10008.5.1.4.34.9 RTIonMachineVerification
1.2.840.10008.5.1.4.34.10 RTBrachyApplicationSetupDeliveryInstructionStorage RTa
1.2.840.10008.5.1.4.37.1 GeneralRelevantPatientInformationQuery
1.2.840.10008.5.1.4.37.2 BreastImagingRelevantPatientInformationQuery
1.2.840.10008.5.1.4.37.3 CardiacRelevantPatientInformationQuery
1.2.840.10008.5.1.4.38.1 HangingProtocolStorage HP
1.2.840.10008.5.1.4.38.2 FINDHangingProtocolInformationModel
1.2.840.10008.5.1.4.38.3 MOVEHangingProtocolInformationModel
1.2.840.10008.5.1.4.39.1 ColorPaletteStorage CP
1.2.840.10008.5.1.4.39.2 FINDColorPaletteInformationModel
1.2.840.10008.5.1.4.39.3 MOVEColorPaletteInformationModel
1.2.840.10008.5.1.4.39.4 GETColorPaletteInformationModel
1.2.840.10008.5.1.4.41 ProductCharacteristicsQuerySOPClass
1.2.840.10008.5.1.4.42 SubstanceApprovalQuerySOPClass
1.2.840.10008.5.1.4.43.1 GenericImplantTemplateStorage IT
1.2.840.10008.5.1.4.43.2 FINDGenericImplantTemplateInformationModel
1.2.840.10008.5.1.4.43.3 MOVEGenericImplantTemplateInformationModel
1.2.840.10008.5.1.4.43.4 GETGenericImplantTemplateInformationModel
1.2.840.10008.5.1.4.44.1 ImplantAssemblyTemplateStorage ITa
1.2.840.10008.5.1.4.44.2 FINDImplantAssemblyTemplateInformationModel
1.2.840.10008.5.1.4.44.3 MOVEImplantAssemblyTemplateInformationModel
1.2.840.10008.5.1.4.44.4 GETImplantAssemblyTemplateInformationModel
1.2.840.10008.5.1.4.45.1 ImplantTemplateGroupStorage ITg
1.2.840.10008.5.1.4.45.2 FINDImplantTemplateGroupInformationModel
1.2.840.10008.5.1.4.45.3 MOVEImplantTemplateGroupInformationModel
1.2.840.10008.5.1.4.45.4 GETImplantTemplateGroupInformationModel
1.2.840.10008.7.1.1 NativeDICOMModel
1.2.840.10008.7.1.2 AbstractMultiDimensionalImageModel
1.2.840.10008.8.1.1 DICOMContentMappingResource
1.2.840.10008.10.1 VideoEndoscopicImageRealTimeCommunication
1.2.840.10008.10.2 VideoPhotographicImageRealTimeCommunication
1.2.840.10008.10.3 AudioWaveformRealTimeCommunication
1.2.840.10008.10.4 RenditionSelectionDocumentRealTimeCommunication
1.2.840.10008.15.0.3.1 LDAP_dicomDeviceName
1.2.840.10008.15.0.3.2 LDAP_dicomDescription
1.2.840.10008.15.0.3.3 LDAP_dicomManufacturer
1.2.840.10008.15.0.3.4 LDAP_dicomManufacturerModelName
1.2.840.10008.15.0.3.5 LDAP_dicomSoftwareVersion
1.2.840.10008.15.0.3.6 LDAP_dicomVendorData
1.2.840.10008.15.0.3.7 LDAP_dicomAETitle
1.2.840.10008.15.0.3.8 LDAP_dicomNetworkConnectionReference
1.2.840.10008.15.0.3.9 LDAP_dicomApplicationCluster
1.2.840.10008.15.0.3.10 LDAP_dicomAssociationInitiator
1.2.840.10008.15.0.3.11 LDAP_dicomAssociationAcceptor
1.2.840.10008.15.0.3.12 LDAP_dicomHostname
1.2.840.10008.15.0.3.13 LDAP_dicomPort
1.2.840.10008.15.0.3.14 LDAP_dicomSOPClass
1.2.840.10008.15.0.3.15 LDAP_dicomTransferRole
1.2.840.10008.15.0.3.16 LDAP_dicomTransferSyntax
1.2.840.10008.15.0.3.17 LDAP_dicomPrimaryDeviceType
1.2.840.10008.15.0.3.18 LDAP_dicomRelatedDeviceReference
1.2.840.10008.15.0.3.19 LDAP_dicomPreferredCalledAETitle
1.2.840.10008.15.0.3.20 LDAP_dicomTLSCyphersuite
1.2.840.10008.15.0.3.21 LDAP_dicomAuthorizedNodeCertificateReference
1.2.840.10008.15.0.3.22 LDAP_dicomThisNodeCertificateReference
1.2.840.10008.15.0.3.23 LDAP_dicomInstalled
1.2.840.10008.15.0.3.24 LDAP_dicomStationName
1.2.840.10008.15.0.3.25 LDAP_dicomDeviceSerialNumber
1.2.840.10008.15.0.3.26 LDAP_dicomInstitutionName
1.2.840.10008.15.0.3.27 LDAP_dicomInstitutionAddress
1.2.840.10008.15.0.3.28 LDAP_dicomInstitutionDepartmentName
1.2.840.10008.15.0.3.29 LDAP_dicomIssuerOfPatientID
1.2.840.10008.15.0.3.30 LDAP_dicomPreferredCallingAETitle
1.2.840.10008.15.0.3.31 LDAP_dicomSupportedCharacterSet
1.2.840.10008.15.0.4.1 LDAP_dicomConfigurationRoot
1.2.840.10008.15.0.4.2 LDAP_dicomDevicesRoot
1.2.840.10008.15.0.4.3 LDAP_dicomUniqueAETitlesRegistryRoot
1.2.840.10008.15.0.4.4 LDAP_dicomDevice
1.2.840.10008.15.0.4.5 LDAP_dicomNetworkAE
1.2.840.10008.15.0.4.6 LDAP_dicomNetworkConnection
1.2.840.10008.15.0.4.7 LDAP_dicomUniqueAETitle
1.2.840.10008.15.0.4.8 LDAP_dicomTransferCapability
1.2.840.10008.15.1.1 UniversalCoordinatedTimeSynchronizationFrameOfReference
1.2.840.113619.5.2 PrivateGELittleEndianImplicitWithBigEndianPixelData
"""

# The storage SOP classes that DCMTK 3.6.7 files under "non-patient" objects
# (dcmIsaStorageSOPClassUID(uid, ESSC_NonPatient)); all other storage classes form
# dcmAllStorageSOPClassUIDs (ESSC_Patient).
_NON_PATIENT_STORAGE = """
    CTDefinedProcedureProtocolStorage ProtocolApprovalStorage XADefinedProcedureProtocolStorage
    HangingProtocolStorage ColorPaletteStorage GenericImplantTemplateStorage ImplantAssemblyTemplateStorage
    ImplantTemplateGroupStorage
"""

# dcmLongSCUStorageSOPClassUIDs, in DCMTK's order: the storage classes a DCMTK SCU (storescu,
# dcmqrscp's C-MOVE sub-associations) proposes by default -- at most 128 so that one association can
# carry them all.
_LONG_SCU_STORAGE = """
    AmbulatoryECGWaveformStorage ArterialPulseWaveformStorage AutorefractionMeasurementsStorage
    BasicStructuredDisplayStorage BasicTextSRStorage BasicVoiceAudioWaveformStorage
    BlendingSoftcopyPresentationStateStorage BreastTomosynthesisImageStorage CardiacElectrophysiologyWaveformStorage
    ChestCADSRStorage ColonCADSRStorage ColorSoftcopyPresentationStateStorage Comprehensive3DSRStorage
    ComprehensiveSRStorage ComputedRadiographyImageStorage CTImageStorage DeformableSpatialRegistrationStorage
    DigitalIntraOralXRayImageStorageForPresentation DigitalIntraOralXRayImageStorageForProcessing
    DigitalMammographyXRayImageStorageForPresentation DigitalMammographyXRayImageStorageForProcessing
    DigitalXRayImageStorageForPresentation DigitalXRayImageStorageForProcessing EncapsulatedCDAStorage
    EncapsulatedPDFStorage EnhancedCTImageStorage EnhancedMRColorImageStorage EnhancedMRImageStorage
    EnhancedPETImageStorage EnhancedSRStorage EnhancedUSVolumeStorage EnhancedXAImageStorage EnhancedXRFImageStorage
    GeneralAudioWaveformStorage GeneralECGWaveformStorage GrayscaleSoftcopyPresentationStateStorage
    HemodynamicWaveformStorage ImplantationPlanSRDocumentStorage IntraocularLensCalculationsStorage
    IntravascularOpticalCoherenceTomographyImageStorageForPresentation
    IntravascularOpticalCoherenceTomographyImageStorageForProcessing KeratometryMeasurementsStorage
    KeyObjectSelectionDocumentStorage LegacyConvertedEnhancedCTImageStorage LegacyConvertedEnhancedMRImageStorage
    LegacyConvertedEnhancedPETImageStorage LensometryMeasurementsStorage MacularGridThicknessAndVolumeReportStorage
    MammographyCADSRStorage MRImageStorage MRSpectroscopyStorage MultiframeGrayscaleByteSecondaryCaptureImageStorage
    MultiframeGrayscaleWordSecondaryCaptureImageStorage MultiframeSingleBitSecondaryCaptureImageStorage
    MultiframeTrueColorSecondaryCaptureImageStorage NuclearMedicineImageStorage OphthalmicAxialMeasurementsStorage
    OphthalmicPhotography16BitImageStorage OphthalmicPhotography8BitImageStorage OphthalmicThicknessMapStorage
    OphthalmicTomographyImageStorage OphthalmicVisualFieldStaticPerimetryMeasurementsStorage
    PositronEmissionTomographyImageStorage ProcedureLogStorage PseudoColorSoftcopyPresentationStateStorage
    RawDataStorage RealWorldValueMappingStorage RespiratoryWaveformStorage RTBeamsDeliveryInstructionStorage
    RTBeamsTreatmentRecordStorage RTBrachyTreatmentRecordStorage RTDoseStorage RTImageStorage
    RTIonBeamsTreatmentRecordStorage RTIonPlanStorage RTPlanStorage RTStructureSetStorage
    RTTreatmentSummaryRecordStorage SecondaryCaptureImageStorage SegmentationStorage SpatialFiducialsStorage
    SpatialRegistrationStorage SpectaclePrescriptionReportStorage StereometricRelationshipStorage
    SubjectiveRefractionMeasurementsStorage SurfaceScanMeshStorage SurfaceScanPointCloudStorage
    SurfaceSegmentationStorage TwelveLeadECGWaveformStorage UltrasoundImageStorage UltrasoundMultiframeImageStorage
    VideoEndoscopicImageStorage VideoMicroscopicImageStorage VideoPhotographicImageStorage
    VisualAcuityMeasurementsStorage VLEndoscopicImageStorage VLMicroscopicImageStorage VLPhotographicImageStorage
    VLSlideCoordinatesMicroscopicImageStorage VLWholeSlideMicroscopyImageStorage
    XAXRFGrayscaleSoftcopyPresentationStateStorage XRay3DAngiographicImageStorage XRay3DCraniofacialImageStorage
    XRayAngiographicImageStorage XRayRadiationDoseSRStorage XRayRadiofluoroscopicImageStorage
    RETIRED_HardcopyColorImageStorage RETIRED_HardcopyGrayscaleImageStorage RETIRED_NuclearMedicineImageStorage
    RETIRED_StandaloneCurveStorage RETIRED_StandaloneModalityLUTStorage RETIRED_StandaloneOverlayStorage
    RETIRED_StandalonePETCurveStorage RETIRED_StandaloneVOILUTStorage RETIRED_StoredPrintStorage
    RETIRED_UltrasoundImageStorage RETIRED_UltrasoundMultiframeImageStorage RETIRED_VLImageStorage
    RETIRED_VLMultiframeImageStorage RETIRED_XRayAngiographicBiPlaneImageStorage
"""

# DcmXfer's table (dcxfer.cc XferNames[]): UID -> long name printed in logs and dcmsend reports.
_TS_LONG_NAMES: Mapping[str, str] = MappingProxyType({
    "1.2.840.10008.1.2": "Little Endian Implicit",
    "1.2.840.10008.1.2.1": "Little Endian Explicit",
    "1.2.840.10008.1.2.2": "Big Endian Explicit",
    "1.2.840.10008.1.2.4.50": "JPEG Baseline",
    "1.2.840.10008.1.2.4.51": "JPEG Extended, Process 2+4",
    "1.2.840.10008.1.2.4.52": "JPEG Extended, Process 3+5",
    "1.2.840.10008.1.2.4.53": "JPEG Spectral Selection, Non-hierarchical, Process 6+8",
    "1.2.840.10008.1.2.4.54": "JPEG Spectral Selection, Non-hierarchical, Process 7+9",
    "1.2.840.10008.1.2.4.55": "JPEG Full Progression, Non-hierarchical, Process 10+12",
    "1.2.840.10008.1.2.4.56": "JPEG Full Progression, Non-hierarchical, Process 11+13",
    "1.2.840.10008.1.2.4.57": "JPEG Lossless, Non-hierarchical, Process 14",
    "1.2.840.10008.1.2.4.58": "JPEG Lossless, Non-hierarchical, Process 15",
    "1.2.840.10008.1.2.4.59": "JPEG Extended, Hierarchical, Process 16+18",
    "1.2.840.10008.1.2.4.60": "JPEG Extended, Hierarchical, Process 17+19",
    "1.2.840.10008.1.2.4.61": "JPEG Spectral Selection, Hierarchical, Process 20+22",
    "1.2.840.10008.1.2.4.62": "JPEG Spectral Selection, Hierarchical, Process 21+23",
    "1.2.840.10008.1.2.4.63": "JPEG Full Progression, Hierarchical, Process 24+26",
    "1.2.840.10008.1.2.4.64": "JPEG Full Progression, Hierarchical, Process 25+27",
    "1.2.840.10008.1.2.4.65": "JPEG Lossless, Hierarchical, Process 28",
    "1.2.840.10008.1.2.4.66": "JPEG Lossless, Hierarchical, Process 29",
    "1.2.840.10008.1.2.4.70": "JPEG Lossless, Non-hierarchical, 1st Order Prediction",
    "1.2.840.10008.1.2.5": "RLE Lossless",
    "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian",
    "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless",
    "1.2.840.10008.1.2.4.81": "JPEG-LS Lossy (Near-lossless)",
    "1.2.840.10008.1.2.4.90": "JPEG 2000 (Lossless only)",
    "1.2.840.10008.1.2.4.91": "JPEG 2000 (Lossless or Lossy)",
    "1.2.840.10008.1.2.4.92": "JPEG 2000 Part 2 Multicomponent Image Compression (Lossless only)",
    "1.2.840.10008.1.2.4.93": "JPEG 2000 Part 2 Multicomponent Image Compression (Lossless or Lossy)",
    "1.2.840.10008.1.2.4.94": "JPIP Referenced",
    "1.2.840.10008.1.2.4.95": "JPIP Referenced Deflate",
    "1.2.840.10008.1.2.4.100": "MPEG2 Main Profile @ Main Level",
    "1.2.840.10008.1.2.4.101": "MPEG2 Main Profile @ High Level",
    "1.2.840.10008.1.2.4.102": "MPEG-4 AVC/H.264 High Profile / Level 4.1",
    "1.2.840.10008.1.2.4.103": "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
    "1.2.840.10008.1.2.4.104": "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
    "1.2.840.10008.1.2.4.105": "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
    "1.2.840.10008.1.2.4.106": "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
    "1.2.840.10008.1.2.4.107": "HEVC/H.265 Main Profile / Level 5.1",
    "1.2.840.10008.1.2.4.108": "HEVC/H.265 Main 10 Profile / Level 5.1",
    "1.2.840.113619.5.2": "Private GE Little Endian Implicit with big endian pixel data",
})

#: What DcmXfer reports for a UID it does not know (dcmsend's ``Original Xfer : <uid> = ...``).
UNKNOWN_TS_LONG_NAME = "Unknown Transfer Syntax"
# DcmXfer's internal "Virtual Big Endian Implicit" entry has an empty UID, so DcmXfer("") finds it.
_EMPTY_UID_TS_LONG_NAME = "Virtual Big Endian Implicit"

# ----------------------------------------------------------------------------------------------
# Derived lookups
# ----------------------------------------------------------------------------------------------


def _parse_uid_table(text: str) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    names: dict[str, str] = {}
    uids: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    for line in text.split("\n"):
        fields = line.split()
        if not fields:
            continue
        uid, name = fields[0], fields[1]
        names[uid] = name
        uids[name] = uid
        if len(fields) == 3:
            prefixes[uid] = fields[2]
    return names, uids, prefixes


_NAME_OF_UID, _UID_OF_NAME, _PREFIX_OF_SOP_CLASS = _parse_uid_table(_UID_TABLE)

#: DCMTK name of every UID DCMTK 3.6.7 knows by name (``uidNameMap``).
UID_NAMES: Mapping[str, str] = MappingProxyType(_NAME_OF_UID)
#: Storage SOP class UID -> short modality prefix (dcmrecv.md Appendix A).
MODALITY_PREFIXES: Mapping[str, str] = MappingProxyType(_PREFIX_OF_SOP_CLASS)
#: Every storage SOP class known to DCMTK 3.6.7 (``dcmIsaStorageSOPClassUID(uid, ESSC_All)``).
STORAGE_SOP_CLASSES: frozenset[str] = frozenset(_PREFIX_OF_SOP_CLASS)
#: Storage classes of non-patient objects (hanging protocols, palettes, implant templates ...).
NON_PATIENT_STORAGE_SOP_CLASSES: frozenset[str] = frozenset(
    _UID_OF_NAME[n] for n in _NON_PATIENT_STORAGE.split())
#: ``dcmLongSCUStorageSOPClassUIDs`` in DCMTK's order (120 classes).
LONG_SCU_STORAGE_SOP_CLASSES: tuple[str, ...] = tuple(_UID_OF_NAME[n] for n in _LONG_SCU_STORAGE.split())

TRANSFER_SYNTAX_LONG_NAMES: Mapping[str, str] = _TS_LONG_NAMES

# Well-known UIDs
VERIFICATION_SOP_CLASS = "1.2.840.10008.1.1"
IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"
EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
EXPLICIT_VR_BIG_ENDIAN = "1.2.840.10008.1.2.2"
DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1.99"

#: Explicit VR in the host's byte order and in the opposite one (DCMTK's gLocalByteOrder).
LOCAL_ENDIAN_EXPLICIT = EXPLICIT_VR_LITTLE_ENDIAN if sys.byteorder == "little" else EXPLICIT_VR_BIG_ENDIAN
OPPOSITE_ENDIAN_EXPLICIT = EXPLICIT_VR_BIG_ENDIAN if sys.byteorder == "little" else EXPLICIT_VR_LITTLE_ENDIAN

#: Names accepted for transfer syntaxes beyond the table: resolved by host byte order
#: (DcmUIDHandler in dcmnet/libsrc/dccfuidh.cc).
SPECIAL_TS_NAMES: Mapping[str, str] = MappingProxyType({
    "LocalEndianExplicit": LOCAL_ENDIAN_EXPLICIT,
    "OppositeEndianExplicit": OPPOSITE_ENDIAN_EXPLICIT,
})


def _is_ts_uid(uid: str) -> bool:
    return uid == IMPLICIT_VR_LITTLE_ENDIAN or uid.startswith(IMPLICIT_VR_LITTLE_ENDIAN + ".") \
        or uid == "1.2.840.113619.5.2"


#: Symbolic transfer syntax names of the name table (dcmrecv.md Appendix B, without the special two).
#: ``LDAP_dicomTransferSyntax`` is an LDAP attribute OID, listed because profile files accept it.
TRANSFER_SYNTAX_NAMES: Mapping[str, str] = MappingProxyType({
    name: uid for name, uid in _UID_OF_NAME.items()
    if _is_ts_uid(uid) or name == "LDAP_dicomTransferSyntax"})

# ----------------------------------------------------------------------------------------------
# Functions
# ----------------------------------------------------------------------------------------------

_MAX_UID_LENGTH = 64


def is_valid_uid(value: str) -> bool:
    """Whether ``value`` is a syntactically valid DICOM UID (PS3.5 9.1, VR UI, VM 1).

    At most 64 characters, components of digits separated by single dots, no component with a
    leading zero unless it is ``0`` itself.  This is what DCMTK's ``DcmUniqueIdentifier::
    checkStringValue`` accepts (verified with dcmsend 3.6.7: ``1.02.3``, ``1.00``, ``1.2.3.``,
    ``1..2``, a 65-character UID and ``1.2.3.abc`` are rejected; ``0``, ``1``, ``1.0.3`` and a
    64-character UID are accepted).
    """
    if not value or len(value) > _MAX_UID_LENGTH:
        return False
    for component in value.split("."):
        if not component or not component.isascii() or not component.isdigit():
            return False
        if len(component) > 1 and component[0] == "0":
            return False
    return True


def uid_name(uid: str, default: str | None = None) -> str | None:
    """DCMTK's name for any UID (``dcmFindNameOfUID``), else ``default``."""
    return _NAME_OF_UID.get(uid, default)


def uid_from_name(name: str) -> str | None:
    """The UID of a DCMTK name (``dcmFindUIDFromName``): exact, case-sensitive; ``None`` if unknown."""
    return _UID_OF_NAME.get(name)


def resolve_symbolic_uid(value: str) -> str:
    """Resolve a UID value the way DCMTK association profiles do (``DcmUIDHandler``).

    A value that starts with a digit is taken as it is.  Otherwise one leading ``=`` is skipped and
    the rest is looked up: ``LocalEndianExplicit``/``OppositeEndianExplicit`` by host byte order,
    then the DCMTK name table (any kind of UID).  A name that is not found is returned unchanged
    (with its ``=``), so the caller's UID syntax check rejects it.
    """
    if not value or "0" <= value[0] <= "9":
        return value
    name = value[1:] if value[0] == "=" else value
    if name in SPECIAL_TS_NAMES:
        return SPECIAL_TS_NAMES[name]
    return _UID_OF_NAME.get(name, value)


def sop_class_uid(name_or_uid: str) -> str | None:
    """The SOP class UID for a DCMTK symbolic name (``CTImageStorage``) or a numeric UID.

    A valid numeric UID is returned as it is (known or not); an optional leading ``=`` is skipped
    before a name lookup; transfer syntax names and unknown names give ``None``.
    """
    if is_valid_uid(name_or_uid):
        return name_or_uid
    name = name_or_uid[1:] if name_or_uid.startswith("=") else name_or_uid
    uid = _UID_OF_NAME.get(name)
    if uid is None or name in TRANSFER_SYNTAX_NAMES:
        return None
    return uid


def sop_class_name(uid: str) -> str | None:
    """DCMTK's symbolic name of a SOP class UID (``CTImageStorage``), ``None`` if it has none."""
    return _NAME_OF_UID.get(uid)


def sop_class_label(uid: str) -> str:
    """The name DCMTK prints for a SOP class in reports and logs: its DCMTK name or ``unknown``.

    dcmsend's report line is ``SOP Class     : <uid> = <label>`` (``dcmFindNameOfUID(uid, "unknown")``).
    """
    return _NAME_OF_UID.get(uid, "unknown")


def ts_uid(name_or_uid: str) -> str | None:
    """The transfer syntax UID for a symbolic name (Appendix B, ``LocalEndianExplicit`` ...) or UID.

    A valid numeric UID is returned as it is; an optional leading ``=`` is skipped before the name
    lookup; anything else gives ``None``.
    """
    if is_valid_uid(name_or_uid):
        return name_or_uid
    name = name_or_uid[1:] if name_or_uid.startswith("=") else name_or_uid
    if name in SPECIAL_TS_NAMES:
        return SPECIAL_TS_NAMES[name]
    return TRANSFER_SYNTAX_NAMES.get(name)


def ts_name(uid: str) -> str | None:
    """DCMTK's symbolic name of a transfer syntax UID (``LittleEndianExplicit``), else ``None``."""
    name = _NAME_OF_UID.get(uid)
    return name if name in TRANSFER_SYNTAX_NAMES else None


def ts_long_name(uid: str) -> str:
    """DCMTK's long transfer syntax name (``DcmXfer::getXferName``) as printed in logs and reports.

    ``Little Endian Explicit``, ``JPEG Baseline``, ``JPEG-LS Lossy (Near-lossless)`` ...; a UID that
    DcmXfer does not know (including the SMPTE ST 2110 and encapsulation syntaxes, which have a
    symbolic name but no DcmXfer entry in 3.6.7) gives ``Unknown Transfer Syntax``.  The empty string
    gives ``Virtual Big Endian Implicit``, as in DCMTK, whose internal entry has no UID.
    """
    if uid == "":
        return _EMPTY_UID_TS_LONG_NAME
    return _TS_LONG_NAMES.get(uid, UNKNOWN_TS_LONG_NAME)


def is_storage_sop_class(uid: str) -> bool:
    """Whether DCMTK 3.6.7 knows ``uid`` as a storage SOP class (``ESSC_All``: 194 classes)."""
    return uid in STORAGE_SOP_CLASSES


def modality_prefix(sop_class_uid: str, fallback: str) -> str:
    """The short modality prefix DCMTK uses in file names (``CT``, ``MR``, ``SRt``, ``PSg`` ...).

    Exact string match on the SOP class UID against dcmrecv.md Appendix A (DCMTK's
    ``dcmSOPClassUIDToModality``); any other UID gives ``fallback`` -- ``UNKNOWN`` for dcmrecv's
    ``+fd/+fu/+fst`` names, ``XX`` for ``+fsu`` and dcmqrscp.  Note DCMTK's quirk: ``SRi`` serves both
    Implantation Plan SR and Performed Imaging Agent Administration SR.
    """
    return _PREFIX_OF_SOP_CLASS.get(sop_class_uid, fallback)


INVALID_SOP_CLASS_UID = "Invalid SOP Class UID"
UNKNOWN_STORAGE_SOP_CLASS = "Unknown Storage SOP Class"
_STANDARD_ROOT = "1.2.840.10008"
_STANDARD_STORAGE_ROOT = "1.2.840.10008.5.1.4.1.1"


def check_sop_class_for_sending(uid: str, *, check_values: bool = True) -> str | None:
    """Check a SOP Class UID the way dcmsend does before sending (dcmsend.md §2.2); reason or None.

    DCMTK's ``DcmStorageSCU::checkSOPInstance``: empty -> ``Invalid SOP Class UID``.  Unless
    ``check_values`` is off (``-nuc``): not a valid UID -> ``Invalid SOP Class UID``; a known storage
    class -> ok; otherwise by plain string prefix: ``1.2.840.10008.5.1.4.1.1`` -> ok (unknown standard
    storage class); other ``1.2.840.10008`` with a DCMTK name (Verification, Media Storage Directory,
    a transfer syntax ...) -> ``Invalid SOP Class UID``; other ``1.2.840.10008`` without one ->
    ``Unknown Storage SOP Class``; any other root -> ok (private class).
    """
    if not uid:
        return INVALID_SOP_CLASS_UID
    if not check_values:
        return None
    if not is_valid_uid(uid):
        return INVALID_SOP_CLASS_UID
    if uid in STORAGE_SOP_CLASSES or uid.startswith(_STANDARD_STORAGE_ROOT):
        return None
    if uid.startswith(_STANDARD_ROOT):
        return INVALID_SOP_CLASS_UID if uid in _NAME_OF_UID else UNKNOWN_STORAGE_SOP_CLASS
    return None
