// The opinion story through a client generated from openapi/openapi.json alone
// (openapi-typescript + openapi-fetch), compiled with `tsc --strict`: received → referred →
// accepted → answered → fed back → rated, each step by the role that owns it. No casts.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/schema.js";

type OpinionView = components["schemas"]["OpinionView"];

const baseUrl = process.env.LIAISON_BASE_URL ?? "http://127.0.0.1:8080";
const password = process.env.LIAISON_DEMO_PASSWORD ?? "demo-password";

function fail(what: string, error: unknown): never {
  throw new Error(`${what}: ${JSON.stringify(error)}`);
}

function expectState(view: OpinionView, state: components["schemas"]["OpinionState"]): void {
  if (view.state !== state) fail(`expected ${state}`, view);
}

async function signIn(username: string) {
  const anonymous = createClient<paths>({ baseUrl });
  const { data, error } = await anonymous.POST("/api/v1/auth/login", {
    body: { username, password },
  });
  if (!data) fail(`log-in as ${username}`, error);
  return createClient<paths>({
    baseUrl,
    headers: { Authorization: `${data.token_type} ${data.access_token}` },
  });
}

async function main(): Promise<void> {
  const voter = await signIn("demo.voter");
  const committee = await signIn("demo.committee");
  const body = await signIn("demo.handling");
  const deputy = await signIn("demo.representative");

  const me = await voter.GET("/api/v1/me");
  if (!me.data) fail("me", me.error);
  const deputies = await voter.GET("/public/v1/representatives", { params: { query: { limit: 1 } } });
  if (!deputies.data || deputies.data.items.length === 0) fail("deputies", deputies.error);
  const representative = deputies.data.items[0];
  if (!representative.constituency) fail("a deputy with a constituency", representative);
  const constituency_id = representative.constituency.id;
  const categories = await voter.GET("/api/v1/opinion-categories", {
    params: { query: { constituency_id } },
  });
  if (!categories.data || categories.data.items.length === 0) fail("categories", categories.error);

  const created = await voter.POST("/api/v1/opinions", {
    body: {
      title: "路灯坏了",
      content: "小区门口的路灯已经坏了一个月。",
      category: categories.data.items[0],
      constituency_id,
      representative_id: representative.id,
      source: "online",
      urgent: false,
      public_consent: true,
    },
  });
  if (!created.data) fail("submit", created.error);
  expectState(created.data, "received");
  const id = created.data.id;
  const path = { id };

  // Refer to the body the handling account works for, which must be among the targets.
  const bodyMe = await body.GET("/api/v1/me");
  if (!bodyMe.data?.scope) fail("the handling body's scope", bodyMe.error);
  const bodyId = bodyMe.data.scope.id;
  const targets = await committee.GET("/api/v1/opinions/{id}/referable-bodies", { params: { path } });
  if (!targets.data) fail("referable bodies", targets.error);
  if (!targets.data.items.some((t) => t.id === bodyId)) fail("the body among the targets", targets.data);
  const refused = await committee.POST("/api/v1/opinions/{id}/transitions", {
    params: { path },
    body: { action: "feed_back", method: "phone", text: "尚未办理" },
  });
  if (refused.response.status !== 409 || !refused.error) fail("feeding back a received opinion", refused.data);
  if (!refused.error.allowed_actions?.includes("refer")) fail("allowed actions", refused.error);

  const referred = await committee.POST("/api/v1/opinions/{id}/transitions", {
    params: { path },
    body: { action: "refer", handling_body_id: bodyId, channel: "recess_suggestion" },
  });
  if (!referred.data) fail("refer", referred.error);
  expectState(referred.data, "referred");

  const referrals = await body.GET("/api/v1/opinions/{id}/referrals", { params: { path } });
  if (!referrals.data) fail("referrals", referrals.error);
  const live = referrals.data.items.find((r) => r.returned_at === null);
  if (!live) fail("a live referral", referrals.data);
  const accepted = await body.POST("/api/v1/opinions/{id}/referrals/{referral_id}/accept", {
    params: { path: { id, referral_id: live.id } },
  });
  if (!accepted.data) fail("accept", accepted.error);
  const answered = await body.POST("/api/v1/opinions/{id}/transitions", {
    params: { path },
    body: { action: "answer", outcome: "resolved", text: "已更换路灯。" },
  });
  if (!answered.data) fail("answer", answered.error);
  expectState(answered.data, "answered");

  const fedBack = await deputy.POST("/api/v1/opinions/{id}/transitions", {
    params: { path, header: { "If-Match": answered.response.headers.get("ETag") ?? undefined } },
    body: { action: "feed_back", method: "phone", text: "已电话告知选民。" },
  });
  if (!fedBack.data) fail("feed back", fedBack.error);
  expectState(fedBack.data, "fed_back");

  const rated = await voter.POST("/api/v1/opinions/{id}/rating", {
    params: { path },
    body: { rating: "satisfied" },
  });
  if (!rated.data) fail("rate", rated.error);

  const events = await committee.GET("/api/v1/opinions/{id}/events", { params: { path } });
  if (!events.data) fail("events", events.error);
  const actions = events.data.items.map((e) => e.action);
  const expected = ["receive", "refer", "accept", "answer", "feed_back", "rate"];
  if (JSON.stringify(actions) !== JSON.stringify(expected)) fail(`timeline ${expected}`, actions);
  console.log(`opinion ${id}: ${actions.join(" → ")}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
