package lockserver.server.web;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lockserver.client.Lock;
import lockserver.client.LockClient;
import lockserver.client.LockServerException;
import lockserver.server.LockServer;
import lockserver.server.TestServers;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The shipped Grafana dashboard and Prometheus rules (docs/monitoring) ask only for series
 * a real server exports; promtool parses the rules and the panel queries, and the rules
 * pass their unit tests. CI installs Debian's prometheus package for promtool (.ci/run);
 * elsewhere the promtool checks are skipped when there is none.
 */
public class MonitoringFilesTest {
    private static final Path DIR = Path.of("docs/monitoring");
    private static final Path DASHBOARD = DIR.resolve("lockserver-dashboard.json");
    private static final Path RULES = DIR.resolve("lockserver-alerts.yml");
    private static final Path RULE_TESTS = DIR.resolve("lockserver-alerts.test.yml");
    /** Labels Prometheus adds to every series it scrapes: never on /metrics. */
    private static final Set<String> TARGET_LABELS = Set.of("job", "instance");
    private static final Pattern METRIC = Pattern.compile("\\blockserver_[a-z0-9_]+");
    private static final Pattern SELECTOR = Pattern.compile("\\b(lockserver_[a-z0-9_]+)\\{([^}]*)\\}");
    private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(?:=~|!~|!=|=)");
    private static final Pattern BY = Pattern.compile("\\b(?:by|without)\\s*\\(([^)]*)\\)");

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /**
     * Validates the dashboard as Grafana imports it and prints every PromQL query in it
     * (panel targets, variable queries), one a line.
     */
    private static final String DASHBOARD_CHECK = String.join("\n",
            "import json, sys",
            "d = json.load(open(sys.argv[1], encoding='utf-8'))",
            "assert 36 <= d['schemaVersion'] <= 41, d['schemaVersion']",
            "assert d['id'] is None and d['uid'] and d['title'], 'import as a new dashboard'",
            "variables = {v['name']: v for v in d['templating']['list']}",
            "ds = variables['datasource']",
            "assert ds['type'] == 'datasource' and ds['query'] == 'prometheus', ds",
            "assert variables['lock']['type'] == 'query', variables['lock']",
            "assert variables['lock']['definition'].startswith('label_values('), variables['lock']",
            "ids = [p['id'] for p in d['panels']]",
            "assert len(ids) == len(set(ids)), 'panel ids repeat: %s' % ids",
            "queries = [v['definition'] for v in variables.values() if v['type'] == 'query']",
            "for p in d['panels']:",
            "    g = p['gridPos']",
            "    assert g['w'] > 0 and g['h'] > 0 and g['x'] + g['w'] <= 24 and g['y'] >= 0, p['title']",
            "    if p['type'] == 'row':",
            "        continue",
            "    assert p['datasource'] == {'type': 'prometheus', 'uid': '${datasource}'}, p['title']",
            "    assert p['targets'], p['title']",
            "    for t in p['targets']:",
            "        assert t['datasource'] == p['datasource'], p['title']",
            "        queries.append(t['expr'])",
            "for q in queries:",
            "    assert '\\n' not in q, q",
            "    print(q)",
            "");

    @Test
    public void promtoolParsesRulesAndPanelQueriesAndTheRulesPassTheirUnitTests() throws Exception {
        Path promtool = onPath("promtool");
        if (promtool == null && System.getenv("CI") != null) {
            throw new AssertionError("CI must have promtool (Debian package prometheus, installed by .ci/run)");
        }
        assumeTrue("no promtool here", promtool != null);
        String check = run(List.of(promtool.toString(), "check", "rules", RULES.toString()));
        assertTrue(check, check.contains("SUCCESS: 4 rules found"));
        String test = run(List.of(promtool.toString(), "test", "rules", RULE_TESTS.toString()));
        assertTrue(test, test.contains("SUCCESS"));

        // the dashboard's panel queries parse too: promtool checks them as recording rules,
        // with Grafana's variables as they are when all values are chosen
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        int n = 0;
        for (String q : dashboardQueries()) {
            if (!q.startsWith("label_values(")) {
                String promql = q.replace("$__rate_interval", "5m").replaceAll("\\$(job|instance|lock)\\b", ".*");
                rules.append("      - record: dashboard:panel").append(++n).append("\n        expr: '")
                        .append(promql.replace("'", "''")).append("'\n");
            }
        }
        Path panels = tmp.newFile("dashboard-rules.yml").toPath();
        Files.writeString(panels, rules.toString(), StandardCharsets.UTF_8);
        String parsed = run(List.of(promtool.toString(), "check", "rules", panels.toString()));
        assertTrue(parsed, parsed.contains("SUCCESS: " + n + " rules found"));
    }

    @Test
    public void everyMetricAndLabelTheDashboardAndRulesAskForIsOnMetrics() throws Exception {
        Map<String, Set<String>> exported = exportedSeries();
        List<String> queries = new ArrayList<>(dashboardQueries());
        List<String> rules = ruleExpressions();
        assertEquals(rules.toString(), 4, rules.size());
        queries.addAll(rules);

        Set<String> used = new TreeSet<>();
        for (String q : queries) {
            Map<String, Set<String>> named = new TreeMap<>();
            Matcher m = METRIC.matcher(q);
            while (m.find()) {
                assertTrue("not on /metrics: " + m.group() + " (in " + q + ")", exported.containsKey(m.group()));
                named.put(m.group(), exported.get(m.group()));
                used.add(family(m.group()));
            }
            Matcher s = SELECTOR.matcher(q);
            while (s.find()) {
                Matcher label = MATCHER.matcher(s.group(2));
                while (label.find()) {
                    String l = label.group(1);
                    assertTrue(s.group(1) + " has no label " + l + " (in " + q + ")",
                            TARGET_LABELS.contains(l) || exported.get(s.group(1)).contains(l));
                }
            }
            Matcher by = BY.matcher(q);
            while (by.find()) {
                for (String l : by.group(1).split(",")) {
                    String label = l.strip();
                    assertTrue("no metric of " + q + " has the label " + label, TARGET_LABELS.contains(label)
                            || named.values().stream().anyMatch(labels -> labels.contains(label)));
                }
            }
        }
        // what the issue asks the dashboard and the alerts to show
        assertTrue(used.toString(), used.containsAll(Set.of("lockserver_slots_used", "lockserver_lock_size",
                "lockserver_queue_length", "lockserver_wait_seconds", "lockserver_expiries_total",
                "lockserver_lifecycle_tick_seconds", "lockserver_requests_total", "lockserver_faults_total")));
        assertTrue(queries.toString(), queries.stream().anyMatch(q -> q.startsWith("up{")));
    }

    /**
     * Series names on a real server's /metrics with the label names each carries, after a
     * query, a wait, a release and a fault: a lock's first event makes all its per-lock
     * series (every expiry cause included), a fault the faults series.
     */
    private static Map<String, Set<String>> exportedSeries() throws Exception {
        String page;
        try (LockServer server = TestServers.start(TestServers.issueConfig())) {
            LockClient client = new LockClient(server.url().toString());
            try (Lock lock = new Lock(client, "DefaultLock")) {
                lock.query("monitoring test");
                assertTrue(lock.await(Duration.ofSeconds(10)));
                assertTrue(lock.release());
            }
            try {
                client.query("no-such-lock", "x");
                throw new AssertionError("a query of an unknown lock was answered");
            } catch (LockServerException expected) {
                // counted in lockserver_faults_total
            }
            HttpResponse<String> r = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(server.url().resolve("/metrics")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            page = r.body();
        }
        Map<String, Set<String>> series = new TreeMap<>();
        Pattern sample = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? \\S+$");
        for (String line : page.split("\n")) {
            Matcher m = sample.matcher(line);
            if (line.startsWith("#") || !m.matches()) {
                continue;
            }
            Set<String> labels = series.computeIfAbsent(m.group(1), k -> new TreeSet<>());
            if (m.group(2) != null) {
                Matcher l = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"").matcher(m.group(2));
                while (l.find()) {
                    labels.add(l.group(1));
                }
            }
        }
        assertFalse(page, series.isEmpty());
        return series;
    }

    /** A histogram's or summary's family name from one of its series' names. */
    private static String family(String series) {
        return series.replaceFirst("_(bucket|sum|count|created)$", "");
    }

    private static List<String> dashboardQueries() throws Exception {
        Path python = onPath("python3");
        assertTrue("python3 reads the dashboard (a test prerequisite, as for PythonSuite)", python != null);
        List<String> queries = run(List.of(python.toString(), "-c", DASHBOARD_CHECK, DASHBOARD.toString()))
                .lines().toList();
        assertTrue(queries.toString(), queries.size() >= 10);
        return queries;
    }

    /** Each rule's expr, a single line or a block scalar (lines indented under the key). */
    private static List<String> ruleExpressions() throws IOException {
        List<String> exprs = new ArrayList<>();
        List<String> lines = Files.readAllLines(RULES, StandardCharsets.UTF_8);
        Pattern key = Pattern.compile("^(\\s*)(?:- )?expr:\\s*(.*)$");
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = key.matcher(lines.get(i));
            if (!m.matches()) {
                continue;
            }
            if (!m.group(2).matches("[|>][-+]?")) {
                exprs.add(m.group(2));
                continue;
            }
            int indent = m.group(1).length();
            StringBuilder block = new StringBuilder();
            while (i + 1 < lines.size() && (lines.get(i + 1).isBlank()
                    || lines.get(i + 1).length() - lines.get(i + 1).stripLeading().length() > indent)) {
                block.append(lines.get(++i).strip()).append(' ');
            }
            exprs.add(block.toString().strip());
        }
        return exprs;
    }

    private static Path onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Runs a command to its end (a minute at most) and returns its output; exit 0 is asserted. */
    private static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(command + " finished", p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(command + ":\n" + out, 0, p.exitValue());
        return out;
    }
}
