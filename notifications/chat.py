"""Chat messages: what a team's Slack or Microsoft Teams channel is told, in each platform's
card format, sent to the channel's incoming webhook.

notify.py writes a chat message's delivery row (its `payload`: title, link, the team and the
lines it lists) when a reminder or an escalation is due, and sends it like a webhook: the same
allowed hosts, timeouts, retries and Retry-After (webhooks.post). This module builds the bodies
only: it reads no delivery.

- Slack: Block Kit, as an incoming webhook takes it (https://api.slack.com/messaging/webhooks):
  `text` (the notification's fallback) and `blocks` (a header, a section, a link button).
- Microsoft Teams: an Adaptive Card in the message envelope that the Workflows "post to a
  channel when a webhook request is received" template and the older incoming webhooks take
  (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using):
  `{"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
  "content": <the card>}]}`.
"""

from __future__ import annotations

import json

from notifications import webhooks

USER_AGENT = "AlignmentReviews-Chat/1"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
ADAPTIVE_CARD_VERSION = "1.4"
HEADER_CHARS = 150  # Slack's limit for a header block's text
SECTION_CHARS = 3000  # Slack's limit for a section's text


def message(*, title: str, link: str, lines: list[str], button: str) -> dict:
    """What a chat delivery says (its payload): `link` is absolute."""
    return {"title": title, "link": link, "lines": lines, "button": button}


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn gives &, < and > a meaning: they are sent escaped.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(payload: dict) -> dict:
    title, link = payload["title"], payload["link"]
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:HEADER_CHARS]}}
    ]
    if payload["lines"]:
        text = "\n".join(f"• {_slack_escape(line)}" for line in payload["lines"])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_CHARS]}})
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": payload["button"]},
                    "url": link,
                }
            ],
        }
    )
    return {"text": f"{_slack_escape(title)}: {link}", "blocks": blocks}


def teams_body(payload: dict) -> dict:
    body: list[dict] = [
        {
            "type": "TextBlock",
            "text": payload["title"],
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    if payload["lines"]:
        body.append(
            {
                "type": "FactSet",
                "facts": [_fact(line) for line in payload["lines"]],
            }
        )
    card = {
        "$schema": ADAPTIVE_CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": ADAPTIVE_CARD_VERSION,
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": payload["button"], "url": payload["link"]}],
    }
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}],
    }


def _fact(line: str) -> dict:
    """A line "Team: state" as a fact (title, value); a line without a colon as its value."""
    name, sep, value = line.partition(": ")
    return {"title": name, "value": value} if sep else {"title": "", "value": line}


BODIES = {"slack": slack_body, "teams": teams_body}


def body_of(*, platform: str, payload: dict) -> bytes:
    return json.dumps(BODIES[platform](payload), separators=(",", ":")).encode()


def post(*, url: str, platform: str, payload: dict, now) -> webhooks.Answer:
    """POST the message to a channel's incoming webhook, once (webhooks.post)."""
    return webhooks.post(
        url=url,
        body=body_of(platform=platform, payload=payload),
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
        now=now,
    )
