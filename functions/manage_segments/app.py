"""Operator routes for audiences: saved segments and audience previews.

``/admin/v1/orgs/{orgId}/segments`` (+ ``/{segmentId}``): a segment is a named OData ``$filter``
over one kind of the directory's people, checked when saved by the parser sends use.
``/admin/v1/orgs/{orgId}/audiences/preview``: how many people and devices (per platform) an
audience reaches through an app now, with a sample of ten; it writes nothing.
"""

from aws_lambda_powertools.event_handler import Response

from pushgate import deps
from pushgate.api.openapi import responds
from pushgate.api.resolver import make_resolver
from pushgate.api.routes_kit import MaxResults, NextToken, created, http_handler, no_content
from pushgate.api.schemas.segments import (
    AudiencePreviewRequest,
    AudiencePreviewResponse,
    SegmentListResponse,
    SegmentRequest,
    SegmentResponse,
    audience_filter,
)
from pushgate.models.send import Audience
from pushgate.services.segments import preview, segments

app = make_resolver()
BASE = "/admin/v1/orgs/<orgId>/segments"


@app.post(BASE)
@responds(201)
def create_segment(orgId: str, request: SegmentRequest) -> tuple[SegmentResponse, int]:
    segment = segments.create_segment(orgId, request.as_input(), stores=deps.segment_stores())
    return created(SegmentResponse.from_segment(segment), "SegmentsCreated")


@app.get(BASE)
def list_segments(
    orgId: str,
    limit: MaxResults = 50,
    next_token: NextToken = None,
) -> SegmentListResponse:
    found, token = segments.list_segments(orgId, limit=limit, next_token=next_token, stores=deps.segment_stores())
    return SegmentListResponse(Segments=[SegmentResponse.from_segment(s) for s in found], NextToken=token)


@app.get(f"{BASE}/<segmentId>")
def get_segment(orgId: str, segmentId: str) -> SegmentResponse:
    return SegmentResponse.from_segment(segments.get_segment(orgId, segmentId, stores=deps.segment_stores()))


@app.put(f"{BASE}/<segmentId>")
def replace_segment(orgId: str, segmentId: str, request: SegmentRequest) -> SegmentResponse:
    replaced = segments.replace_segment(orgId, segmentId, request.as_input(), stores=deps.segment_stores())
    return SegmentResponse.from_segment(replaced)


@app.delete(f"{BASE}/<segmentId>")
@responds(204)
def delete_segment(orgId: str, segmentId: str) -> Response[str]:
    segments.delete_segment(orgId, segmentId, stores=deps.segment_stores())
    return no_content()


@app.post("/admin/v1/orgs/<orgId>/audiences/preview")
def preview_audience(orgId: str, request: AudiencePreviewRequest) -> AudiencePreviewResponse:
    audience = None if isinstance(request.Audience, Audience) else audience_filter(request.Audience)
    found = preview.preview_audience(orgId, request.MobileAppId, audience, stores=deps.preview_stores())
    return AudiencePreviewResponse.from_preview(found)


lambda_handler = http_handler(app)
