"""Knowledge-base search (issue 15 "Must show" 5): a reseller finds the master ISP's articles
(inherited) and its own, never another reseller's; PostgreSQL full-text search ranks and
stems; articles link to tickets only where the reseller may read them."""

from __future__ import annotations

import uuid

from domain.access.roles import Role
from tests.api.helpers import assert_problem, position
from tests.support.builders import new_reseller

ARTICLES = "/reseller/api/kb/articles"


def publish(client, headers, **fields):
    body = {"category": "technical", "kind": "troubleshooting_guide", **fields}
    response = client.post(ARTICLES, headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response


def test_search_finds_inherited_isp_and_own_articles_and_nothing_of_another_reseller(
    client, store, isp_headers
):
    word = f"fibre{uuid.uuid4().hex[:8]}"  # unique to this test's articles
    mine = new_reseller(store, roles=(Role.ADMIN, Role.USER))
    other = new_reseller(store, roles=(Role.ADMIN,))
    isp = publish(
        client,
        isp_headers,
        title=f"Restarting the {word} router",
        body="Hold the reset button for ten seconds while the router restarts.",
        tags=["router"],
    )
    assert isp.json()["owner"] == "isp" and isp.json()["reseller_id"] is None
    own = publish(
        client,
        mine.headers(),
        title="Our installation checklist",
        body=f"Before installing {word} equipment, check that the routers are restarted.",
    )
    foreign = publish(
        client,
        other.headers(),
        title=f"Secret {word} restart notes",
        body="Only for the other reseller: restarting routers.",
    )
    last = max(position(isp), position(own), position(foreign))

    found = client.get(
        ARTICLES,
        headers=mine.headers(Role.USER),
        params={"q": f"{word} restart", "wait_for_position": last},
    )
    assert found.status_code == 200, found.text
    ids = [a["article_id"] for a in found.json()]
    assert sorted(ids) == sorted([isp.json()["article_id"], own.json()["article_id"]])
    # Stemming: "restarts"/"restarted" match "restart"; the title weighs more than the body.
    assert ids[0] == isp.json()["article_id"]

    theirs = client.get(
        ARTICLES, headers=other.headers(), params={"q": word, "wait_for_position": last}
    ).json()
    assert sorted(a["article_id"] for a in theirs) == sorted(
        [isp.json()["article_id"], foreign.json()["article_id"]]
    )
    nothing = client.get(
        ARTICLES, headers=mine.headers(), params={"q": "Secret notes", "wait_for_position": last}
    ).json()
    assert foreign.json()["article_id"] not in [a["article_id"] for a in nothing]

    # By id: the ISP's and one's own are readable, another reseller's is not found.
    assert (
        client.get(f"{ARTICLES}/{isp.json()['article_id']}", headers=mine.headers()).status_code
        == 200
    )
    assert_problem(
        client.get(f"{ARTICLES}/{foreign.json()['article_id']}", headers=mine.headers()), 404
    )

    # Linking to a ticket: own and ISP articles yes, another reseller's no.
    ticket = client.post(
        "/reseller/api/tickets",
        headers=mine.headers(),
        json={"subject": "s", "description": "d", "category": "technical", "source": "internal"},
    ).json()
    url = f"/reseller/api/tickets/{ticket['ticket_id']}/articles"
    linked = client.post(url, headers=mine.headers(), json={"article_id": isp.json()["article_id"]})
    assert linked.json()["articles"] == [isp.json()["article_id"]]
    refused = client.post(
        url, headers=mine.headers(), json={"article_id": foreign.json()["article_id"]}
    )
    assert_problem(refused, 404, "article_id")

    # A reseller may not revise the ISP's article.
    assert_problem(
        client.put(
            f"{ARTICLES}/{isp.json()['article_id']}",
            headers=mine.headers(),
            json={"title": "mine now", "body": "x"},
        ),
        403,
    )


def test_bad_article_input_names_the_field(client, store):
    mine = new_reseller(store, roles=(Role.ADMIN,))
    assert_problem(
        client.post(
            ARTICLES, headers=mine.headers(), json={"category": "nope", "title": "t", "body": "b"}
        ),
        422,
        "category",
    )
    assert_problem(
        client.post(
            ARTICLES,
            headers=mine.headers(),
            json={"category": "technical", "title": "t", "body": "b", "kind": "poem"},
        ),
        422,
        "kind",
    )
