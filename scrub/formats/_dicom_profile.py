"""The DICOM profiles as data: which attributes (by keyword) each removes.

Based on PS3.15 Annex E (Basic Application Level Confidentiality Profile),
split by purpose: who operated/reviewed/ordered and where (always removed)
versus the patient's identity (removed by the "strict" profile only; the
default keeps it as clinical evidence). See docs/decisions/0011.

Must never: list an attribute needed to display the image (pixel module,
modality LUTs, geometry) or the clinical description.
"""

from __future__ import annotations

# Attributes naming who operated, reviewed or ordered, and where.
OPERATOR_AND_SITE = frozenset(
    {
        "OperatorsName",
        "OperatorIdentificationSequence",
        "PerformingPhysicianName",
        "PerformingPhysicianIdentificationSequence",
        "NameOfPhysiciansReadingStudy",
        "PhysiciansReadingStudyIdentificationSequence",
        "ReferringPhysicianName",
        "ReferringPhysicianAddress",
        "ReferringPhysicianTelephoneNumbers",
        "ReferringPhysicianIdentificationSequence",
        "RequestingPhysician",
        "RequestingPhysicianIdentificationSequence",
        "PhysiciansOfRecord",
        "PhysiciansOfRecordIdentificationSequence",
        "ConsultingPhysicianName",
        "ConsultingPhysicianIdentificationSequence",
        "ScheduledPerformingPhysicianName",
        "ScheduledPerformingPhysicianIdentificationSequence",
        "VerifyingObserverName",
        "VerifyingObserverIdentificationCodeSequence",
        "VerifyingOrganization",
        "PersonName",
        "PersonAddress",
        "PersonTelephoneNumbers",
        "PersonIdentificationCodeSequence",
        "ContentCreatorName",
        "ContentCreatorIdentificationCodeSequence",
        "ReviewerName",
        "ResultsDistributionListSequence",
        "InstitutionName",
        "InstitutionAddress",
        "InstitutionalDepartmentName",
        "InstitutionalDepartmentTypeCodeSequence",
        "InstitutionCodeSequence",
        "StationName",
        "StationAETitle",
        "ScheduledStationAETitle",
        "ScheduledStationName",
        "ScheduledStationNameCodeSequence",
        "PerformedStationAETitle",
        "PerformedStationName",
        "PerformedStationNameCodeSequence",
        "RetrieveAETitle",
        "SourceApplicationEntityTitle",
        "SendingApplicationEntityTitle",
        "ReceivingApplicationEntityTitle",
        "ScheduledProcedureStepLocation",
        "PerformedLocation",
        "ScheduledStudyLocation",
        "ScheduledStudyLocationAETitle",
        "RequestingService",
        "RequestingServiceCodeSequence",
        "DeviceSerialNumber",
        "DeviceUID",
        "DeviceID",
        "DeviceLabel",
        "DeviceDescription",
        "DetectorID",
        "GantryID",
        "PlateID",
        "CassetteID",
        "GeneratorID",
        "SourceSerialNumber",
        "AccessionNumber",
        "StudyID",
        "RequestedProcedureID",
        "ScheduledProcedureStepID",
        "PerformedProcedureStepID",
        "RequestAttributesSequence",
        "IssuerOfAccessionNumberSequence",
        "ProtocolName",
        "ImageComments",
        "OriginalAttributesSequence",
        "DigitalSignaturesSequence",
        "MACParametersSequence",
        "EncryptedAttributesSequence",
        "ModifiedAttributesSequence",
        # Padding after the data set is free space a tool can hide bytes in.
        "DataSetTrailingPadding",
    }
)
# Patient identity: removed only by the "strict" profile.
PATIENT_IDENTITY = frozenset(
    {
        "PatientName",
        "PatientID",
        "IssuerOfPatientID",
        "IssuerOfPatientIDQualifiersSequence",
        "PatientBirthDate",
        "PatientBirthTime",
        "PatientBirthName",
        "OtherPatientIDs",
        "OtherPatientIDsSequence",
        "OtherPatientNames",
        "PatientAddress",
        "PatientTelephoneNumbers",
        "PatientMotherBirthName",
        "MilitaryRank",
        "BranchOfService",
        "MedicalRecordLocator",
        "PatientInsurancePlanCodeSequence",
        "PatientReligiousPreference",
        "CountryOfResidence",
        "RegionOfResidence",
        "ResponsiblePerson",
        "ResponsibleOrganization",
        "PatientComments",
        "AdmissionID",
        "ReferencedPatientSequence",
    }
)
# Type 2 attributes (must be present, may be empty): emptied, not deleted,
# so the output stays a valid instance of its IOD.
EMPTY_NOT_DELETE = frozenset(
    {
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "ReferringPhysicianName",
        "AccessionNumber",
        "StudyID",
    }
)
