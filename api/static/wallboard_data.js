// Requests for the panels beside the stream: reports (SPEC §4) and the agents on duty, with the board's token.
class BoardRequestError extends Error {
  constructor(status, body, retryAfter = null) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.parameter = body && body.parameter;  // a 400 names the parameter at fault
    this.retryAfter = retryAfter;  // seconds, from a 429's or 503's Retry-After
  }
}

class BoardData {
  static REPORT_PATH = "/api/v1/analytics/report";
  static AGENTS_PATH = "/api/v1/analytics/agents";

  constructor(token) {
    this.token = token;  // a function: the token may be forgotten or replaced at any time
  }

  report(params) {
    return this.get(`${BoardData.REPORT_PATH}?${new URLSearchParams(params)}`);
  }

  agents() {
    return this.get(BoardData.AGENTS_PATH);
  }

  async get(url) {
    const token = this.token();
    if (!token) throw new BoardRequestError(401, { message: "no token" });
    const response = await fetch(url, {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
      cache: "no-store",
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const retryAfter = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
      throw new BoardRequestError(response.status, body, Number.isNaN(retryAfter) ? null : retryAfter);
    }
    return body;
  }
}
