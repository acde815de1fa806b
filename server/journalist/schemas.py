"""JSON shapes of the journalist API (CONTRACT.md names, exactly).

Responses are built from service views, never from table rows.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class TokenRequest(BaseModel):
    username: str = Field(max_length=1024)
    password: str = Field(max_length=1024)
    otp: str = Field(max_length=64)


class TokenResponse(BaseModel):
    token: str
    # ISO 8601 UTC, second precision.
    expires: str


class SubmissionOut(BaseModel):
    id: str
    source_id: str
    designation: str
    size: int
    day: str
    cleaned: bool
    file_count: int
    downloaded: bool
    signature_present: bool


class SubmissionList(BaseModel):
    submissions: list[SubmissionOut]


class ReplyCreated(BaseModel):
    id: str
    source_id: str
    size: int
    day: str


class Deleted(BaseModel):
    deleted: str


class ErrorOut(BaseModel):
    detail: str
