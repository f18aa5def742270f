"""Every allowed and every refused transition of each state machine."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tandem_customer.domain import events
from tandem_customer.domain.leads import TRANSITIONS as LEAD_TRANSITIONS
from tandem_customer.domain.leads import Lead, LeadStatus
from tandem_customer.domain.model import TRANSITIONS as CUSTOMER_TRANSITIONS
from tandem_customer.domain.model import Customer, CustomerStatus
from tandem_customer.domain.scoring import ScoringRules
from tandem_customer.domain.segments import CAMPAIGN_TRANSITIONS, Campaign, CampaignStatus
from tandem_customer.domain.tickets import TRANSITIONS as TICKET_TRANSITIONS
from tandem_customer.domain.tickets import Priority, SlaPolicy, Ticket, TicketStatus
from tandem_kit.errors import IllegalTransition

POLICY = SlaPolicy.default()


def customer_in(status: CustomerStatus) -> Customer:
    c = Customer.register(name="Acme", email="a@acme.com", credit_limit=Decimal(1), currency="EUR")
    c.status = status
    c.pull_events()
    return c


CUSTOMER_CASES = [
    (status, action)
    for status in CustomerStatus
    for action in ("activate", "hold", "block", "archive", "merge")
]


@pytest.mark.parametrize(("status", "action"), CUSTOMER_CASES)
def test_customer_transitions(status, action):
    customer = customer_in(status)
    sources, target = CUSTOMER_TRANSITIONS[action]
    survivor = customer_in(CustomerStatus.ACTIVE)
    run = (
        (lambda: customer.merge_into(survivor))
        if action == "merge"
        else (lambda: customer.change_status(action, "why"))
    )
    if status in sources:
        run()
        assert customer.status == target
        assert customer.version == 2
        assert customer.pull_events()
    else:
        with pytest.raises(IllegalTransition) as refused:
            run()
        assert customer.status == status and customer.version == 1
        assert refused.value.allowed == sorted(
            a for a, (s, _) in CUSTOMER_TRANSITIONS.items() if status in s
        )
        assert customer.pull_events() == []


def test_merging_points_the_tombstone_at_the_survivor_and_fills_gaps():
    source = customer_in(CustomerStatus.ACTIVE)
    source.legal_id = "DE1"
    survivor = customer_in(CustomerStatus.PROSPECT)
    survivor.email = None
    source.merge_into(survivor)
    assert source.status == CustomerStatus.MERGED and source.merged_into == survivor.id
    assert survivor.legal_id == "DE1" and survivor.email == "a@acme.com"
    assert isinstance(source.pull_events()[0], events.CustomerMerged)
    assert isinstance(survivor.pull_events()[0], events.CustomerUpdated)


def test_a_customer_cannot_merge_into_itself_or_a_tombstone():
    c = customer_in(CustomerStatus.ACTIVE)
    with pytest.raises(Exception, match="itself"):
        c.merge_into(c)
    with pytest.raises(Exception, match="merged"):
        c.merge_into(customer_in(CustomerStatus.MERGED))


def lead_in(status: LeadStatus) -> Lead:
    lead = Lead.capture(name="Jo", rules=ScoringRules(), email="jo@initech.com")
    lead.status = status
    lead.pull_events()
    return lead


def _lead_action(lead: Lead, action: str):
    return {
        "qualify": lead.qualify,
        "disqualify": lambda: lead.disqualify("no budget"),
        "reopen": lead.reopen,
        "assign": lambda: lead.assign("rep-2"),
        "convert": lambda: lead.convert(customer_id=uuid.uuid4(), contact_id=uuid.uuid4()),
    }[action]


@pytest.mark.parametrize(
    ("status", "action"), [(s, a) for s in LeadStatus for a in LEAD_TRANSITIONS]
)
def test_lead_transitions(status, action):
    lead = lead_in(status)
    sources, target = LEAD_TRANSITIONS[action]
    if status in sources:
        _lead_action(lead, action)()
        assert lead.status == (target or status)
        pulled = lead.pull_events()
        assert any(isinstance(e, events.LeadChanged) for e in pulled)
        assert any(isinstance(e, events.LeadConverted) for e in pulled) == (action == "convert")
    else:
        with pytest.raises(IllegalTransition) as refused:
            _lead_action(lead, action)()
        assert lead.status == status and lead.pull_events() == []
        assert action not in refused.value.allowed


def test_disqualifying_needs_a_reason():
    lead = lead_in(LeadStatus.CAPTURED)
    with pytest.raises(Exception, match="why") as refused:
        lead.disqualify("  ")
    assert refused.value.field == "reason"


def ticket_in(status: TicketStatus, priority=Priority.NORMAL) -> Ticket:
    t = Ticket.raise_ticket(
        customer_id=uuid.uuid4(), subject="Broken", priority=priority, policy=POLICY
    )
    t.status = status
    t.pull_events()
    return t


@pytest.mark.parametrize(
    ("status", "action"), [(s, a) for s in TicketStatus for a in TICKET_TRANSITIONS]
)
def test_ticket_transitions(status, action):
    ticket = ticket_in(status)
    sources, target = TICKET_TRANSITIONS[action]
    if status in sources:
        ticket.act(action, policy=POLICY)
        assert ticket.status == (target or status)
        assert [type(e) for e in ticket.pull_events()] == [events.TicketChanged]
    else:
        with pytest.raises(IllegalTransition) as refused:
            ticket.act(action, policy=POLICY)
        assert ticket.status == status and ticket.version == 1
        assert refused.value.allowed == sorted(
            a for a, (s, _) in TICKET_TRANSITIONS.items() if status in s
        )


def test_escalation_raises_priority_and_tightens_due_times():
    ticket = ticket_in(TicketStatus.OPEN, Priority.LOW)
    before = ticket.resolution_due
    ticket.act("escalate", policy=POLICY)
    assert ticket.priority == Priority.NORMAL and ticket.escalated
    assert ticket.escalation_level == 1 and ticket.resolution_due < before
    for _ in range(4):
        ticket.act("escalate", policy=POLICY)
    assert ticket.priority == Priority.URGENT and ticket.escalation_level == 5


@pytest.mark.parametrize(
    ("status", "action"), [(s, a) for s in CampaignStatus for a in CAMPAIGN_TRANSITIONS]
)
def test_campaign_transitions(status, action):
    campaign = Campaign.plan(name="Spring")
    campaign.status = status
    sources, target = CAMPAIGN_TRANSITIONS[action]
    if status in sources:
        campaign.act(action)
        assert campaign.status == target
    else:
        with pytest.raises(IllegalTransition):
            campaign.act(action)
        assert campaign.status == status


def test_a_task_completes_once_and_other_activities_never():
    from tandem_customer.domain.contacts import Activity, ActivityKind

    due = datetime.now(UTC) + timedelta(days=1)
    task = Activity.record(
        customer_id=uuid.uuid4(), kind=ActivityKind.TASK, subject="Call back", due_at=due
    )
    task.complete()
    with pytest.raises(IllegalTransition):
        task.complete()
    note = Activity.record(customer_id=uuid.uuid4(), kind=ActivityKind.NOTE, subject="Met")
    with pytest.raises(IllegalTransition):
        note.complete()
    with pytest.raises(Exception, match="due date") as refused:
        Activity.record(customer_id=uuid.uuid4(), kind=ActivityKind.TASK, subject="x")
    assert refused.value.field == "due_at"
