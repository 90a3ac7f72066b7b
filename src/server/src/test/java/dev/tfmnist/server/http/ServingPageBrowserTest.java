package dev.tfmnist.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tfmnist.loader.ImageClassifier;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.image.ImageFiles;
import dev.tfmnist.loader.image.MnistPreprocessor;
import dev.tfmnist.server.ModelServer;
import dev.tfmnist.server.models.ModelConfig;
import dev.tfmnist.server.models.ModelManager;
import dev.tfmnist.server.models.VersionRequest;
import dev.tfmnist.testing.DigitRenderer;
import dev.tfmnist.testing.TestData;
import dev.tfmnist.testing.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.interactions.PointerInput;
import org.openqa.selenium.interactions.Sequence;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page in a real browser (Chromium, headless, driven by Selenium through the system's
 * chromedriver) against a real server on loopback serving real models: the TF1 CNN, which takes
 * pixels, and the Keras model that takes PNG bytes. Digits drawn with pointer strokes are read
 * by both; an upload gets PredictMnist's answer; bad pictures get a line on the page; the page
 * fetches nothing from another origin and fits a phone's 375 pixels. Screenshots go to
 * {@code target/screenshots/}. Without Chromium the tests fail, saying what to install.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServingPageBrowserTest {
  private static final Path CHROMIUM = Path.of(env("CHROMIUM", "/usr/bin/chromium"));
  private static final Path CHROMEDRIVER = Path.of(env("CHROMEDRIVER", "/usr/bin/chromedriver"));
  /** The request size limit of the test's server: small, so that an upload can pass it. */
  private static final long LIMIT = 2 << 20;
  private static final Path SHOTS = Path.of(System.getProperty("basedir", "."), "target",
      "screenshots");

  private ModelManager models;
  private ModelServer server;
  private ChromeDriverService service;
  private ChromeDriver driver;
  private String base;

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isEmpty() ? fallback : value;
  }

  @BeforeAll
  void start() throws IOException {
    var missing = new ArrayList<String>();
    for (Path program : List.of(CHROMIUM, CHROMEDRIVER)) {
      if (!Files.isExecutable(program)) {
        missing.add(program.toString());
      }
    }
    if (!missing.isEmpty()) {
      fail("The page's browser tests need Chromium and its chromedriver; not found: " + missing
          + ". Install them (Debian, Ubuntu: apt-get install chromium chromium-driver) or set"
          + " CHROMIUM and CHROMEDRIVER to their paths.");
    }
    models = ModelManager.builder(LoadedModel::load)
        .pollInterval(Duration.ZERO)
        .start(List.of(ModelConfig.of("mnist", TestModels.tf1Model()),
            ModelConfig.of("keras", TestData.projectRoot().resolve("savedmodel/keras-module")),
            ModelConfig.of("echo", TestModels.identityModel().getParent())));
    server = ModelServer.builder(models).port(0).maxRequestBytes(LIMIT).start();
    base = "http://127.0.0.1:" + server.port() + "/";

    var options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
        "--window-size=1000,800", "--force-device-scale-factor=1", "--disable-gpu",
        "--no-first-run", "--disable-extensions", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-default-apps");
    var logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    logs.enable(LogType.PERFORMANCE, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    // the system's chromedriver and Chromium: Selenium Manager has nothing to find or fetch
    service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .build();
    driver = new ChromeDriver(service, options);
    Files.createDirectories(SHOTS);
  }

  @AfterAll
  void stop() {
    if (driver != null) {
      driver.quit();
    }
    if (service != null) {
      service.stop();
    }
    if (server != null) {
      server.close();
    }
    if (models != null) {
      models.close();
    }
  }

  @BeforeEach
  void openThePage() {
    driver.manage().window().setSize(new Dimension(1000, 800));
    driver.get(base);
    waitUntil("the model list", () -> !driver.findElement(By.id("model")).getDomProperty("value")
        .isEmpty());
    driver.manage().logs().get(LogType.BROWSER);  // what an earlier test left
  }

  @Test
  void digitsDrawnWithPointersAreReadByBothModelsAndClearEmptiesTheAnswer() throws IOException {
    for (String model : List.of("mnist v1 · serving_default", "keras v1 · serving_default")) {
      choose(model);
      for (int digit : new int[] {1, 7, 0}) {
        clickClear();
        draw(digit);
        String answer = settledPrediction();
        assertTrue(answer.startsWith(digit + " ("), model + ": drew " + digit + ", the page says \""
            + answer + "\"");
        assertEquals(Integer.toString(digit), driver.findElement(By.cssSelector("#bars li.best"
            + " .label")).getText(), "the highest bar");
        assertTrue(inkInModelInput() > 20, "the 28x28 image the model received is drawn");
        if (digit == 7 && model.startsWith("mnist")) {
          screenshot("serve-mnist-page.png", 1000, 800);
        }
      }
      clickClear();
      assertEquals("", driver.findElement(By.id("prediction")).getText());
      assertTrue(driver.findElement(By.id("placeholder")).isDisplayed());
      assertEquals(0, inkInModelInput(), "cleared");
    }
    assertNoConsoleErrors();
  }

  @Test
  void anUploadGetsPredictMnistsAnswer(@TempDir Path dir) throws IOException {
    int[] labels = TestModels.testLabels(0, 3);
    for (String model : List.of("mnist", "keras")) {
      choose(model + " v1 · serving_default");
      for (int i = 0; i < labels.length; i++) {
        float[] digit = TestModels.testImages(i, 1);
        Path png = dir.resolve(model + "-" + i + ".png");
        int predictMnist;
        try (var servable = models.acquire(VersionRequest.latest(model))) {
          var classifier = ImageClassifier.builder(servable.model()).build();
          if (classifier.takesEncodedImages()) {
            // PredictMnist feeds such a model the file itself: one of MNIST's own size
            DigitRenderer.writePng(DigitRenderer.grayImage(DigitRenderer.render(digit, 1, 28, 28,
                0, 0, false)), png);
            predictMnist = classifier.classifyEncoded(Files.readAllBytes(png)).get(0)
                .predictedClass();
          } else {
            // a photo-like file: black on white, enlarged, off centre
            DigitRenderer.writePng(DigitRenderer.grayImage(DigitRenderer.render(digit, 5, 240,
                180, 80, 20, true)), png);
            predictMnist = classifier.classify(MnistPreprocessor.toMnist(ImageFiles.read(png)))
                .predictedClass();
          }
        }
        assertEquals(labels[i], predictMnist, "test image " + i);
        upload(png);
        String answer = settledPrediction();
        assertTrue(answer.startsWith(predictMnist + " ("), model + ", " + png.getFileName()
            + ": PredictMnist says " + predictMnist + ", the page \"" + answer + "\"");
        assertTrue(inkInModelInput() > 20);

        // the same file dropped on the pad
        clickClear();
        ((JavascriptExecutor) driver).executeScript(
            "const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));"
                + "const files = new DataTransfer();"
                + "files.items.add(new File([bytes], 'dropped.png', {type: 'image/png'}));"
                + "document.getElementById('drop').dispatchEvent(new DragEvent('drop',"
                + " {dataTransfer: files, bubbles: true, cancelable: true}));",
            java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(png)));
        assertTrue(settledPrediction().startsWith(predictMnist + " ("), "dropped");
      }
    }
    assertNoConsoleErrors();
  }

  @Test
  void badPicturesAndModelsGetOneLineOnThePageAndTheServerGoesOn(@TempDir Path dir)
      throws IOException {
    Path empty = Files.createFile(dir.resolve("empty.png"));
    Path text = Files.writeString(dir.resolve("notes.png"), "not a picture at all");
    Path huge = Files.write(dir.resolve("huge.png"), ServingPageTest.hugePngHeader(8000, 5000));
    Path white = dir.resolve("white.png");
    int[][] paper = new int[200][200];
    for (int[] row : paper) {
      Arrays.fill(row, 255);
    }
    DigitRenderer.writePng(DigitRenderer.grayImage(paper), white);
    Path large = dir.resolve("large.png");
    byte[] noise = new byte[(int) LIMIT];
    new java.util.Random(7).nextBytes(noise);
    Files.write(large, noise);
    var expected = Map.of(
        empty, "the image is empty (0 bytes)",
        text, "the image is not a PNG, JPEG, GIF, BMP or PGM file",
        huge, "the image is 8000x5000 pixels (40.0 megapixels), over the limit",
        white, "no digit found: the image has no contrast",
        large, "The image is too large for the server: the request body of");
    for (Path file : List.of(empty, text, huge, white, large)) {
      upload(file);
      String message = settledMessage();
      assertTrue(message.startsWith(expected.get(file)), file.getFileName() + ": " + message);
      assertFalse(message.contains("\n"), message);
      assertEquals("", driver.findElement(By.id("prediction")).getText());
    }

    clickClear();
    choose("echo v1 · scalar");
    String why = settledMessage();
    assertTrue(why.startsWith("echo version 1, signature scalar: not an image classifier:"
        + " signature scalar has no input that fits"), why);
    draw(1);  // the server is asked anyway, and says the same
    assertTrue(settledMessage().startsWith("not an image classifier: signature scalar"),
        driver.findElement(By.id("message")).getText());
    driver.findElement(By.cssSelector("#others summary")).click();
    String others = driver.findElement(By.id("others-list")).getText();
    assertTrue(others.contains("echo v1 · scalar: not an image classifier: signature scalar has"
        + " no input"), "the list of signatures that are not image classifiers: " + others);

    choose("mnist v1 · serving_default");
    clickClear();
    draw(1);
    assertTrue(settledPrediction().startsWith("1 ("), "the server goes on");
    assertFalse(driver.findElement(By.id("message")).isDisplayed());
  }

  @Test
  void thePageSpeaksOnlyToItsOwnOriginAndShowsTheServersFigures() {
    draw(7);
    settledPrediction();
    waitUntil("two scrapes of the metrics", () -> driver.findElement(By.id("rps")).getText()
        .matches("[0-9.]+") && driver.findElement(By.id("p50")).getText().endsWith("ms"));
    assertTrue(driver.findElement(By.id("p99")).getText().matches("[0-9.]+ m?s"));
    assertTrue(driver.findElement(By.id("batch")).getText().matches("[0-9.]+"),
        "batching is on: the mean batch size");
    @SuppressWarnings("unchecked")
    List<String> resources = (List<String>) ((JavascriptExecutor) driver).executeScript(
        "return performance.getEntriesByType('resource').map(e => e.name)"
            + ".concat(performance.getEntriesByType('navigation').map(e => e.name));");
    String origin = base.substring(0, base.length() - 1);
    assertTrue(resources.size() >= 6, "page, script, style, icon, models, predict, metrics: "
        + resources);
    for (String url : resources) {
      assertTrue(url.startsWith(origin + "/"), "a request outside the page's origin: " + url);
    }
    for (String path : List.of("ui/app.js", "ui/style.css", "ui/v1/models", "ui/v1/predict",
        "monitoring/prometheus/metrics")) {
      assertTrue(resources.contains(base + path), path + " not among " + resources);
    }
    // Chrome's own record of the requests it sent, whatever started them
    int requests = 0;
    for (LogEntry entry : driver.manage().logs().get(LogType.PERFORMANCE)) {
      String message = entry.getMessage();
      if (!message.contains("\"Network.requestWillBeSent\"")) {
        continue;
      }
      requests++;
      var url = java.util.regex.Pattern.compile("\"request\":\\{.*?\"url\":\"([^\"]*)\"")
          .matcher(message);
      assertTrue(url.find(), message);
      assertTrue(url.group(1).startsWith(origin + "/") || url.group(1).startsWith("data:")
          || url.group(1).startsWith("blob:"), "Chrome sent a request to " + url.group(1));
    }
    assertTrue(requests >= 6, "requests in Chrome's log: " + requests);
    assertNoConsoleErrors();
  }

  @Test
  void atAPhonesWidthNothingOverflowsAndTheControlsTakeTheKeyboard() throws IOException {
    driver.manage().window().setSize(new Dimension(375, 812));
    driver.navigate().refresh();
    waitUntil("the model list", () -> !driver.findElement(By.id("model")).getDomProperty("value")
        .isEmpty());
    var js = (JavascriptExecutor) driver;
    assertEquals(375L, js.executeScript("return window.innerWidth;"), "the viewport's width");
    draw(7);
    assertTrue(settledPrediction().startsWith("7 ("));
    long scrollWidth = (Long) js.executeScript(
        "return document.documentElement.scrollWidth;");
    assertTrue(scrollWidth <= 375, "the page is " + scrollWidth + " px wide at 375");
    @SuppressWarnings("unchecked")
    List<String> wide = (List<String>) js.executeScript("return [...document.querySelectorAll("
        + "'body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)"
        + ".map(e => e.tagName + '#' + e.id + '.' + e.className);");
    assertEquals(List.of(), wide, "elements past the right edge");

    // every control has a label, and Tab reaches each
    assertEquals("Clear", driver.findElement(By.id("clear")).getText());
    assertEquals("Upload an image…", driver.findElement(By.cssSelector("label[for=file]"))
        .getText());
    assertFalse(driver.findElement(By.cssSelector("label[for=model]")).getText().isEmpty());
    js.executeScript("document.activeElement.blur(); window.scrollTo(0, 0);");
    var reached = new ArrayList<String>();
    for (int i = 0; i < 8; i++) {
      new Actions(driver).sendKeys(Keys.TAB).perform();  // the keyboard, wherever focus is
      reached.add((String) js.executeScript("return document.activeElement.id;"));
    }
    assertTrue(reached.containsAll(List.of("clear", "file", "model")), "Tab reached " + reached);

    long height = (Long) js.executeScript("return document.documentElement.scrollHeight;");
    screenshot("serve-mnist-page-375.png", 375, (int) Math.min(height, 3000));
    assertNoConsoleErrors();
  }

  // ------------------------------------------------------------------ drawing and waiting

  /** Strokes of a digit as a hand draws them, in fractions of the pad's width and height. */
  private static List<double[][]> strokes(int digit) {
    return switch (digit) {
      case 1 -> List.<double[][]>of(new double[][] {{0.53, 0.17}, {0.50, 0.50}, {0.47, 0.84}});
      case 7 -> List.<double[][]>of(new double[][] {{0.27, 0.22}, {0.72, 0.21}, {0.58, 0.50},
          {0.45, 0.83}});
      case 0 -> {
        var ring = new double[33][];
        for (int i = 0; i <= 32; i++) {
          double a = 2 * Math.PI * i / 32 - Math.PI / 2;
          ring[i] = new double[] {0.5 + 0.21 * Math.cos(a), 0.5 + 0.31 * Math.sin(a)};
        }
        yield List.<double[][]>of(ring);
      }
      default -> throw new IllegalArgumentException("no strokes for " + digit);
    };
  }

  /**
   * Draws a digit with pointer actions: the 1 with a mouse, the 7 with a pen, the 0 with a
   * finger, each stroke a press, moves every few pixels, and a release.
   */
  private void draw(int digit) {
    WebElement pad = driver.findElement(By.id("digit"));
    ((JavascriptExecutor) driver).executeScript(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", pad);
    var size = pad.getRect().getDimension();
    PointerInput.Kind kind = switch (digit) {
      case 7 -> PointerInput.Kind.PEN;
      case 0 -> PointerInput.Kind.TOUCH;
      default -> PointerInput.Kind.MOUSE;
    };
    var pointer = new PointerInput(kind, kind.name().toLowerCase() + digit);
    var sequence = new Sequence(pointer, 0);
    for (double[][] stroke : strokes(digit)) {
      List<double[]> points = densified(stroke, 0.03);
      for (int i = 0; i < points.size(); i++) {
        double[] p = points.get(i);
        int x = (int) Math.round((p[0] - 0.5) * size.getWidth());
        int y = (int) Math.round((p[1] - 0.5) * size.getHeight());
        sequence.addAction(pointer.createPointerMove(Duration.ofMillis(i == 0 ? 0 : 12),
            PointerInput.Origin.fromElement(pad), x, y));
        if (i == 0) {
          sequence.addAction(pointer.createPointerDown(PointerInput.MouseButton.LEFT.asArg()));
        }
      }
      sequence.addAction(pointer.createPointerUp(PointerInput.MouseButton.LEFT.asArg()));
    }
    driver.perform(List.of(sequence));
  }

  private static List<double[]> densified(double[][] stroke, double step) {
    var points = new ArrayList<double[]>();
    points.add(stroke[0]);
    for (int i = 1; i < stroke.length; i++) {
      double dx = stroke[i][0] - stroke[i - 1][0];
      double dy = stroke[i][1] - stroke[i - 1][1];
      int n = Math.max(1, (int) Math.ceil(Math.hypot(dx, dy) / step));
      for (int k = 1; k <= n; k++) {
        points.add(new double[] {stroke[i - 1][0] + dx * k / n, stroke[i - 1][1] + dy * k / n});
      }
    }
    return points;
  }

  private void choose(String prefix) {
    var picker = new Select(driver.findElement(By.id("model")));
    var option = picker.getOptions().stream().filter(o -> o.getText().startsWith(prefix))
        .findFirst().orElseThrow(() -> new AssertionError("no model \"" + prefix + "\" among "
            + picker.getOptions().stream().map(WebElement::getText).toList()));
    picker.selectByValue(option.getDomProperty("value"));
  }

  private void clickClear() {
    driver.findElement(By.id("clear")).click();
  }

  private void upload(Path file) {
    driver.findElement(By.id("file")).sendKeys(file.toAbsolutePath().toString());
  }

  /** The prediction once no request is pending or in flight. */
  private String settledPrediction() {
    waitUntil("an answer", () -> idle() && !driver.findElement(By.id("prediction")).getText()
        .isEmpty());
    return driver.findElement(By.id("prediction")).getText();
  }

  /** The error line once no request is pending or in flight. */
  private String settledMessage() {
    waitUntil("a message", () -> idle() && driver.findElement(By.id("message")).isDisplayed());
    return driver.findElement(By.id("message")).getText();
  }

  private boolean idle() {
    return "idle".equals(driver.findElement(By.id("answer")).getDomAttribute("data-state"));
  }

  private void waitUntil(String what, java.util.function.BooleanSupplier condition) {
    new WebDriverWait(driver, Duration.ofSeconds(30)).withMessage("waiting for " + what)
        .until(d -> condition.getAsBoolean());
  }

  /** Pixels of the 28x28 view, 8 screen pixels each, that are lit. */
  private long inkInModelInput() {
    return (Long) ((JavascriptExecutor) driver).executeScript(
        "const c = document.getElementById('model-input');"
            + "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            + "let n = 0; for (let y = 4; y < c.height; y += 8) for (let x = 4; x < c.width;"
            + " x += 8) { if (d[(y * c.width + x) * 4] > 40) n++; } return n;");
  }

  /** The top of the page in a viewport of {@code width x height}, into target/screenshots. */
  private void screenshot(String name, int width, int height) throws IOException {
    var js = (JavascriptExecutor) driver;
    driver.manage().window().setSize(new Dimension(width, height));
    long chrome = (Long) js.executeScript("return window.outerHeight - window.innerHeight;");
    driver.manage().window().setSize(new Dimension(width, height + (int) chrome));
    js.executeScript("document.activeElement.blur(); window.scrollTo(0, 0);");
    Files.write(SHOTS.resolve(name), driver.getScreenshotAs(OutputType.BYTES));
    driver.manage().window().setSize(new Dimension(1000, 800));
  }

  /** Console errors but those of the answers the tests asked for (a 4xx for a bad picture). */
  private void assertNoConsoleErrors() {
    for (LogEntry entry : driver.manage().logs().get(LogType.BROWSER)) {
      if (entry.getLevel().intValue() >= Level.SEVERE.intValue()) {
        fail("the browser's console: " + entry.getMessage());
      }
    }
  }
}
