/** Starter files a teacher can pick when creating a workspace. */
export interface Template {
  id: string;
  label: string;
  files: Array<{ name: string; content: string }>;
}

export const TEMPLATES: Template[] = [
  {
    id: 'python',
    label: 'Python',
    files: [{ name: 'main.py', content: 'def greet(name):\n    return f"Hello, {name}!"\n\n\nprint(greet("Tandem"))\n' }],
  },
  {
    id: 'javascript',
    label: 'JavaScript',
    files: [{ name: 'main.js', content: 'function greet(name) {\n  return `Hello, ${name}!`;\n}\n\nconsole.log(greet("Tandem"));\n' }],
  },
  {
    id: 'java',
    label: 'Java',
    files: [
      {
        name: 'Main.java',
        content:
          'public class Main {\n    static String greet(String name) {\n        return "Hello, " + name + "!";\n    }\n\n    public static void main(String[] args) {\n        System.out.println(greet("Tandem"));\n    }\n}\n',
      },
    ],
  },
  {
    id: 'cpp',
    label: 'C++',
    files: [
      {
        name: 'main.cpp',
        content:
          '#include <iostream>\n#include <string>\n\nstd::string greet(const std::string& name) {\n    return "Hello, " + name + "!";\n}\n\nint main() {\n    std::cout << greet("Tandem") << std::endl;\n}\n',
      },
    ],
  },
  { id: 'blank', label: 'Blank', files: [] },
];
