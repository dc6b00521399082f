# The CA server image the Helm chart runs (image.server). Build from the repository root after
# ./rotor build:  docker build -f docker/server.Dockerfile -t <registry>/rotor-server:<tag> .
FROM eclipse-temurin:21-jre
RUN groupadd --gid 10001 rotor && useradd --uid 10001 --gid rotor --no-create-home --shell /usr/sbin/nologin rotor
COPY ca-server/target/rotor-server.jar /app/rotor-server.jar
USER 10001:10001
EXPOSE 8443 8080
ENTRYPOINT ["java", "-jar", "/app/rotor-server.jar"]
