"""The opinion story through a client generated from openapi/openapi.json alone
(openapi-python-client), checked with `mypy --strict` and run against the live API:
received -> referred -> accepted -> answered -> fed back -> rated. No cast, no Any."""

import os
import sys
from typing import TypeVar
from uuid import UUID

from liaison_client import AuthenticatedClient, Client
from liaison_client.api.auth import get_me, login
from liaison_client.api.opinions import (
    accept_referral,
    create_opinion,
    list_opinion_categories,
    list_opinion_events,
    list_opinion_referrals,
    list_referable_bodies,
    rate_opinion,
    transition_opinion,
)
from liaison_client.api.public import list_public_representatives
from liaison_client.models import (
    AnswerStep,
    AnswerStepAction,
    CategoryList,
    Channel,
    CreateOpinion,
    EventList,
    FeedBackMethod,
    FeedBackStep,
    FeedBackStepAction,
    LoginRequest,
    MeView,
    OpinionRating,
    OpinionSource,
    OpinionState,
    OpinionView,
    Outcome,
    PagePublicRepresentativeView,
    Problem,
    RatingRequest,
    ReferableBodies,
    ReferralList,
    ReferStep,
    ReferStepAction,
    TokenResponse,
)

BASE_URL = os.environ.get("LIAISON_BASE_URL", "http://127.0.0.1:8080")
PASSWORD = os.environ.get("LIAISON_DEMO_PASSWORD", "demo-password")

T = TypeVar("T")


def expect(parsed: T | Problem | None, kind: type[T], what: str) -> T:
    if not isinstance(parsed, kind):
        sys.exit(f"{what}: {parsed!r}")
    return parsed


def sign_in(username: str) -> AuthenticatedClient:
    anonymous = Client(base_url=BASE_URL)
    reply = login.sync_detailed(client=anonymous, body=LoginRequest(username=username, password=PASSWORD))
    tokens = expect(reply.parsed, TokenResponse, f"log-in as {username}")
    return AuthenticatedClient(base_url=BASE_URL, token=tokens.access_token)


def expect_state(view: OpinionView, state: OpinionState) -> None:
    if view.state != state:
        sys.exit(f"expected {state.value}, got {view.state.value}")


def main() -> None:
    voter = sign_in("demo.voter")
    committee = sign_in("demo.committee")
    body = sign_in("demo.handling")
    deputy = sign_in("demo.representative")

    deputies = expect(
        list_public_representatives.sync_detailed(client=voter, limit=1).parsed,
        PagePublicRepresentativeView,
        "deputies",
    )
    representative = deputies.items[0]
    if representative.constituency is None:
        sys.exit("the deputy has no constituency")
    constituency_id: UUID = representative.constituency.id
    categories = expect(
        list_opinion_categories.sync_detailed(client=voter, constituency_id=constituency_id).parsed,
        CategoryList,
        "categories",
    )
    created = expect(
        create_opinion.sync_detailed(
            client=voter,
            body=CreateOpinion(
                title="路灯坏了",
                content="小区门口的路灯已经坏了一个月。",
                category=categories.items[0],
                constituency_id=constituency_id,
                representative_id=representative.id,
                source=OpinionSource.ONLINE,
                urgent=False,
                public_consent=True,
            ),
        ).parsed,
        OpinionView,
        "submit",
    )
    expect_state(created, OpinionState.RECEIVED)
    opinion = created.id

    scope = expect(get_me.sync_detailed(client=body).parsed, MeView, "me").scope
    if scope is None:
        sys.exit("the handling account has no scope")
    targets = expect(
        list_referable_bodies.sync_detailed(opinion, client=committee).parsed,
        ReferableBodies,
        "referable bodies",
    )
    if not any(t.id == scope.id for t in targets.items):
        sys.exit("the handling body is not among the targets")
    referred = expect(
        transition_opinion.sync_detailed(
            opinion,
            client=committee,
            body=ReferStep(
                action=ReferStepAction.REFER,
                handling_body_id=scope.id,
                channel=Channel.RECESS_SUGGESTION,
            ),
        ).parsed,
        OpinionView,
        "refer",
    )
    expect_state(referred, OpinionState.REFERRED)

    referrals = expect(
        list_opinion_referrals.sync_detailed(opinion, client=body).parsed,
        ReferralList,
        "referrals",
    )
    live = next(r for r in referrals.items if r.returned_at is None)
    expect(accept_referral.sync_detailed(opinion, live.id, client=body).parsed, OpinionView, "accept")
    answered = expect(
        transition_opinion.sync_detailed(
            opinion,
            client=body,
            body=AnswerStep(action=AnswerStepAction.ANSWER, outcome=Outcome.RESOLVED, text="已更换路灯。"),
        ).parsed,
        OpinionView,
        "answer",
    )
    expect_state(answered, OpinionState.ANSWERED)
    fed_back = expect(
        transition_opinion.sync_detailed(
            opinion,
            client=deputy,
            body=FeedBackStep(action=FeedBackStepAction.FEED_BACK, method=FeedBackMethod.PHONE, text="已电话告知选民。"),
        ).parsed,
        OpinionView,
        "feed back",
    )
    expect_state(fed_back, OpinionState.FED_BACK)
    expect(
        rate_opinion.sync_detailed(opinion, client=voter, body=RatingRequest(rating=OpinionRating.SATISFIED)).parsed,
        OpinionView,
        "rate",
    )
    events = expect(
        list_opinion_events.sync_detailed(opinion, client=committee).parsed,
        EventList,
        "events",
    )
    actions = [e.action.value for e in events.items]
    if actions != ["receive", "refer", "accept", "answer", "feed_back", "rate"]:
        sys.exit(f"timeline: {actions}")
    print(f"opinion {opinion}: {' -> '.join(actions)}")


if __name__ == "__main__":
    main()
