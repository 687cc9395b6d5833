// The wallboard: reads the overview stream with the stored token and keeps the tiles current.
(() => {
  const STREAM_PATH = "/api/v1/analytics/overview/stream";
  const TOKEN_KEY = "pingback.wallboard.token";
  const MAX_BACKOFF_MS = 30000;
  // Well-known channels keep their colour from board to board; others take the next free one.
  const CHANNEL_COLOURS = {
    whatsapp: "#2fd27a", widget: "#4c8dff", email: "#ffb224", instagram: "#ff5fa2",
    telegram: "#36c5f0", messenger: "#a47bff", sms: "#ff8a3d",
  };
  const SPARE_COLOURS = ["#e6e36b", "#5fe0c8", "#ff6b6b", "#b4c2dc", "#c08bff", "#8bd34f"];

  const body = document.body;
  const form = document.getElementById("token-form");
  const input = document.getElementById("token");
  const notice = document.getElementById("notice");
  const board = document.getElementById("board");
  const stateText = document.getElementById("state");
  const updated = document.getElementById("updated");
  const legend = document.getElementById("legend");
  const forget = document.getElementById("forget");
  const field = (name) => board.querySelector(`[data-field="${name}"]`);
  // A stream that shows nothing, not even a heartbeat, for this long is taken for dead.
  const silenceMs = 2.5 * 1000 * (Number(body.dataset.heartbeatS) || 15);

  let controller = null;
  let reconnectTimer = null;
  let retryMs = 2000;
  let failures = 0;
  let refused = false;  // the server ended the stream with `event: unauthorized` (the key was revoked)

  const { integer, pad, duration } = BoardFormat;
  // The trend chart, tile deltas and team panel, when this server also answers reports.
  const extras = body.dataset.reports === "on" ? new BoardExtras(board, () => localStorage.getItem(TOKEN_KEY)) : null;

  // Each figure as [number, unit] parts: units are drawn smaller than the numbers.
  const FORMATS = {
    total_conversations: (v) => [[integer.format(v), ""]],
    quick_pulse_open: (v) => [[integer.format(v), ""]],
    active_agents: (v) => [[integer.format(v), ""]],
    resolution_rate: (v) => [[v.toFixed(1), "%"]],
    avg_first_response: duration,
    median_handle_time: duration,
    avg_handle_time: duration,
    customer_happiness: (v) => (v === null ? [["—", ""]] : [[String(v), "%"]]),
  };

  function setFigure(name, value, parts) {
    const element = field(name);
    element.dataset.value = JSON.stringify(value);
    element.replaceChildren(BoardFormat.partsElement(parts));
  }

  function colourOf(channel, index) {
    return CHANNEL_COLOURS[channel] || SPARE_COLOURS[index % SPARE_COLOURS.length];
  }

  function renderChannels(mix) {
    const bar = field("channel_mix");
    bar.dataset.value = JSON.stringify(mix);
    const entries = Object.entries(mix);
    bar.replaceChildren(...entries.map(([channel, share], i) => {
      const segment = document.createElement("span");
      segment.style.flexGrow = String(share);
      segment.style.background = colourOf(channel, i);
      segment.title = `${channel} ${share.toFixed(1)}%`;
      return segment;
    }));
    legend.replaceChildren(...entries.map(([channel, share], i) => {
      const item = document.createElement("li");
      const swatch = document.createElement("i");
      swatch.style.background = colourOf(channel, i);
      const share_ = document.createElement("b");
      share_.textContent = `${share.toFixed(1)}%`;
      item.append(swatch, document.createTextNode(channel), share_);
      return item;
    }));
    if (entries.length === 0) legend.replaceChildren(BoardFormat.emptyNote("No conversations in the last 30 days"));
  }

  function renderAgents(agents) {
    const list = field("top_agents");
    list.dataset.value = JSON.stringify(agents);
    list.replaceChildren(...agents.map((agent, i) => {
      const item = document.createElement("li");
      const cells = [["rank", `${i + 1}`], ["name", agent.name], ["count", integer.format(agent.resolved)]];
      for (const [cls, text] of cells) {
        const cell = document.createElement("span");
        cell.className = cls;
        cell.textContent = text;  // names come from events: text only, never markup
        item.append(cell);
      }
      return item;
    }));
    if (agents.length === 0) list.replaceChildren(BoardFormat.emptyNote("No resolutions in the last 30 days"));
  }

  function render(overview) {
    for (const [name, format] of Object.entries(FORMATS)) setFigure(name, overview[name], format(overview[name]));
    renderChannels(overview.channel_mix);
    renderAgents(overview.top_agents);
    const now = new Date();
    updated.textContent = `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
    updated.dateTime = now.toISOString();
  }

  function setState(state, text) {
    body.dataset.state = state;
    stateText.textContent = text;
  }

  function showForm(message) {
    if (extras) extras.stop();
    board.hidden = true;
    form.hidden = false;
    forget.hidden = !localStorage.getItem(TOKEN_KEY);
    notice.textContent = message || "";
    input.focus();
  }

  function showBoard() {
    form.hidden = true;
    board.hidden = false;
    forget.hidden = false;
    if (extras) extras.start();
  }

  function handle(event) {
    if (event.retry !== null) retryMs = event.retry;
    if (event.event === "overview") {
      render(JSON.parse(event.data));
      if (extras) extras.request();
      failures = 0;
      setState("live", "Live");
    } else if (event.event === "unavailable") {
      setState("waiting", `Waiting: ${JSON.parse(event.data).message}`);
    } else if (event.event === "unauthorized") {
      refused = true;
    }
  }

  function refuse() {
    setState("unauthorised", "Unauthorised");
    showForm("The token was refused: it is unknown, revoked or mistyped.");
    // Keep trying slowly too: a restarting server refuses every token until its keys load.
    reconnectTimer = setTimeout(connect, MAX_BACKOFF_MS);
  }

  async function connect() {
    const token = localStorage.getItem(TOKEN_KEY);
    if (!token) return showForm();
    const ours = (controller = new AbortController());
    refused = false;
    let silence = null;
    const heard = () => {
      clearTimeout(silence);
      silence = setTimeout(() => ours.abort(), silenceMs);
    };
    try {
      heard();
      const response = await fetch(STREAM_PATH, {
        headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" },
        cache: "no-store",
        signal: ours.signal,
      });
      if (response.status === 401) return refuse();
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      showBoard();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      const parser = new SseParser();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        heard();
        parser.push(value).forEach(handle);
      }
    } catch {
      // An abort by "forget token" ends here; a dead connection or network error reconnects.
    } finally {
      clearTimeout(silence);
    }
    if (controller !== ours) return;
    if (refused) refuse();
    else scheduleReconnect();
  }

  function scheduleReconnect() {
    const ceiling = Math.min(MAX_BACKOFF_MS, retryMs * 2 ** failures);
    const delay = Math.round(ceiling * (0.5 + Math.random() / 2));  // jitter: boards do not stampede
    failures += 1;
    setState("reconnecting", `Reconnecting in ${Math.ceil(delay / 1000)} s`);
    reconnectTimer = setTimeout(connect, delay);
  }

  function stop() {
    clearTimeout(reconnectTimer);
    const running = controller;
    controller = null;
    if (running) running.abort();
  }

  form.addEventListener("submit", (submitted) => {
    submitted.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    localStorage.setItem(TOKEN_KEY, token);
    input.value = "";
    stop();
    failures = 0;
    setState("reconnecting", "Connecting");
    connect();
  });

  forget.addEventListener("click", () => {
    stop();
    localStorage.removeItem(TOKEN_KEY);
    setState("idle", "Not connected");
    showForm();
  });

  setState("idle", "Not connected");
  if (localStorage.getItem(TOKEN_KEY)) {
    showBoard();
    setState("reconnecting", "Connecting");
  }
  connect();
})();
