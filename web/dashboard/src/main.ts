/**
 * The operator dashboard: polls the controller that served it every two seconds and shows the topology
 * of the chosen project, host health, programming latency and the southbound's recent refusals and
 * errors. Under Keystone it asks for credentials first and keeps the token for the tab.
 */
import { Api, AuthRequired, type Snapshot } from './api.js';
import { el, fill } from './dom.js';
import { renderEvents, renderHosts, renderLatency, renderNetworks, renderStatus } from './panels.js';
import { TopologyView, topologyElements } from './topology.js';

const REFRESH_MS = 2000;
const api = new Api();
let topology: TopologyView | undefined;
let timer: number | undefined;

/** Keeps the project selector in step with `projects`; returns the one chosen (the URL's ?project= first). */
function chooseProject(projects: string[]): string {
  const select = document.getElementById('project') as HTMLSelectElement;
  const current = select.value || (new URLSearchParams(location.search).get('project') ?? '');
  if (select.options.length !== projects.length || projects.some((p, i) => select.options[i]?.value !== p)) {
    select.replaceChildren(...projects.map((p) => el('option', { value: p }, p)));
  }
  select.value = projects.includes(current) ? current : (projects[0] ?? '');
  return select.value;
}

function render(s: Snapshot): void {
  const project = s.project;
  renderStatus(s);
  renderHosts(s);
  renderNetworks(s, project);
  renderLatency(s);
  renderEvents(s);
  topology ??= new TopologyView(document.getElementById('topology') as HTMLElement);
  topology.show(topologyElements(s, project));
  document.body.dataset.updated = new Date().toISOString();
}

function showLogin(keystoneUrl: string): void {
  const form = document.getElementById('login') as HTMLFormElement;
  (form.elements.namedItem('authUrl') as HTMLInputElement).value ||= keystoneUrl;
  form.hidden = false;
  document.getElementById('main')?.setAttribute('hidden', '');
}

async function refresh(): Promise<void> {
  try {
    render(await api.snapshot(chooseProject));
    fill('error');
  } catch (err) {
    if (err instanceof AuthRequired) {
      showLogin(err.keystoneUrl);
      return;
    }
    fill('error', (err as Error).message);
  }
  timer = window.setTimeout(() => void refresh(), REFRESH_MS);
}

function start(): void {
  const form = document.getElementById('login') as HTMLFormElement;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
    api
      .login({
        authUrl: value('authUrl'), username: value('username'), password: value('password'), projectName: value('projectName'),
        userDomainName: value('userDomainName'), projectDomainName: value('projectDomainName'),
      })
      .then(() => {
        form.hidden = true;
        document.getElementById('main')?.removeAttribute('hidden');
        void refresh();
      })
      .catch((err: unknown) => fill('login-error', (err as Error).message));
  });
  document.getElementById('project')?.addEventListener('change', () => {
    window.clearTimeout(timer);
    void refresh();
  });
  void refresh();
}

start();
