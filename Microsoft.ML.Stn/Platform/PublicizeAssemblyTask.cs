using System.IO;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Mono.Cecil;

/// <summary>Writes a copy of an assembly with every type and member public, for compiling against only.</summary>
public sealed class StnPublicizeAssembly : Task
{
    [Required] public string Source { get; set; } = "";
    [Required] public string Destination { get; set; } = "";

    public override bool Execute()
    {
        if (File.Exists(Destination) && File.GetLastWriteTimeUtc(Destination) >= File.GetLastWriteTimeUtc(Source))
            return true;
        Directory.CreateDirectory(Path.GetDirectoryName(Destination)!);
        var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(Path.GetDirectoryName(Source));
        using (var assembly = AssemblyDefinition.ReadAssembly(Source, new ReaderParameters { AssemblyResolver = resolver }))
        {
            foreach (var type in assembly.MainModule.GetTypes())
            {
                if (type.IsNested) type.IsNestedPublic = true; else type.IsPublic = true;
                foreach (var method in type.Methods)
                    if (method.IsAssembly || method.IsFamilyAndAssembly) method.IsPublic = true;
                foreach (var field in type.Fields)
                    if (field.IsAssembly || field.IsFamilyAndAssembly) field.IsPublic = true;
            }
            var temporary = Destination + ".tmp";
            assembly.Write(temporary);
            File.Copy(temporary, Destination, true);
            File.Delete(temporary);
        }
        Log.LogMessage(MessageImportance.Low, $"Publicized {Source} -> {Destination}");
        return true;
    }
}
