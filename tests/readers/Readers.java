// Reads files the way Java programs do, for tests/readers/check.py: `java Readers.java properties`
// or `java Readers.java xml`, then one path per line on stdin. Prints one JSON line per path:
// {"path": …, "value": …} or {"path": …, "error": …}.
//
// properties: {"stream": …, "reader": …}, what Properties.load(InputStream) (ISO-8859-1) and
// Properties.load(Reader) (UTF-8) read, each an object of keys and values.
// xml: the document as the JDK's DOM parser reads it (namespace aware, CDATA coalesced into
// text, comments kept): an element is {"name", "ns", "attributes": {…}, "children": […]}, text
// a string, a comment {"comment": …}, a processing instruction {"pi": target, "data": …}.

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeMap;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

public class Readers {
    public static void main(String[] args) throws Exception {
        BufferedReader paths = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setCoalescing(true);
        factory.setIgnoringComments(false);
        factory.setExpandEntityReferences(true);
        StringBuilder out = new StringBuilder();
        for (String path = paths.readLine(); path != null; path = paths.readLine()) {
            out.setLength(0);
            out.append("{\"path\":");
            string(out, path);
            try {
                StringBuilder value = new StringBuilder();
                if (args[0].equals("properties")) {
                    properties(value, path);
                } else {
                    DocumentBuilder builder = factory.newDocumentBuilder();
                    builder.setErrorHandler(null);
                    Document doc = builder.parse(new java.io.File(path));
                    doc.normalizeDocument();
                    children(value, doc);
                }
                out.append(",\"value\":").append(value);
            } catch (Exception e) {
                out.append(",\"error\":");
                string(out, e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            out.append('}');
            System.out.println(out);
        }
    }

    static void properties(StringBuilder out, String path) throws Exception {
        Properties stream = new Properties();
        try (InputStream in = new FileInputStream(path)) {
            stream.load(in);
        }
        Properties reader = new Properties();
        try (Reader in = new InputStreamReader(new FileInputStream(path), StandardCharsets.UTF_8)) {
            reader.load(in);
        }
        out.append("{\"stream\":");
        map(out, stream);
        out.append(",\"reader\":");
        map(out, reader);
        out.append('}');
    }

    static void map(StringBuilder out, Properties properties) {
        TreeMap<String, String> sorted = new TreeMap<>();
        for (String key : properties.stringPropertyNames()) {
            sorted.put(key, properties.getProperty(key));
        }
        out.append('{');
        boolean first = true;
        for (var entry : sorted.entrySet()) {
            if (!first) out.append(',');
            first = false;
            string(out, entry.getKey());
            out.append(':');
            string(out, entry.getValue());
        }
        out.append('}');
    }

    static void children(StringBuilder out, Node parent) {
        out.append('[');
        boolean first = true;
        for (Node child = parent.getFirstChild(); child != null; child = child.getNextSibling()) {
            int type = child.getNodeType();
            if (type == Node.DOCUMENT_TYPE_NODE) continue;
            if (!first) out.append(',');
            first = false;
            switch (type) {
                case Node.ELEMENT_NODE -> {
                    out.append("{\"name\":");
                    string(out, child.getLocalName());
                    out.append(",\"ns\":");
                    nullable(out, child.getNamespaceURI());
                    out.append(",\"attributes\":{");
                    NamedNodeMap attributes = child.getAttributes();
                    List<String> names = new ArrayList<>();
                    for (int i = 0; i < attributes.getLength(); i++) {
                        Node a = attributes.item(i);
                        if ("http://www.w3.org/2000/xmlns/".equals(a.getNamespaceURI())) continue;
                        names.add(i + "");
                    }
                    boolean firstAttribute = true;
                    for (String i : names) {
                        Node a = attributes.item(Integer.parseInt(i));
                        if (!firstAttribute) out.append(',');
                        firstAttribute = false;
                        string(out, a.getLocalName() == null ? a.getNodeName() : a.getLocalName());
                        out.append(':');
                        string(out, a.getNodeValue());
                    }
                    out.append("},\"children\":");
                    children(out, child);
                    out.append('}');
                }
                case Node.TEXT_NODE, Node.CDATA_SECTION_NODE -> string(out, child.getNodeValue());
                case Node.COMMENT_NODE -> {
                    out.append("{\"comment\":");
                    string(out, child.getNodeValue());
                    out.append('}');
                }
                case Node.PROCESSING_INSTRUCTION_NODE -> {
                    out.append("{\"pi\":");
                    string(out, child.getNodeName());
                    out.append(",\"data\":");
                    string(out, child.getNodeValue());
                    out.append('}');
                }
                default -> out.append("null");
            }
        }
        out.append(']');
    }

    static void nullable(StringBuilder out, String s) {
        if (s == null) out.append("null");
        else string(out, s);
    }

    static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) || c > 0x7e) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
